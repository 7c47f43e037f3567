const GREETING: &str = "hello";

fn main() {
    shared::serve("alpha", GREETING);
}
