// Starts a child of its own, which stopping beta must stop too.
fn main() {
    let child = std::process::Command::new("sleep")
        .arg("300")
        .spawn()
        .expect("sleep");
    shared::serve("beta", &format!("child={}", child.id()));
}
