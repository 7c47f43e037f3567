//! The `looklook` command line, one directory entry per case in
//! `tests/cmd/`: arguments, exit status and exact output.

#[test]
fn cli_cases() {
    trycmd::TestCases::new().case("tests/cmd/*.toml");
}
