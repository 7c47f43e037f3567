//! How looklook turns a definition's names into Rust names: one rule for
//! each case, shared by every reader and generator, so one definition is
//! never named two ways. The case conversions are heck's.

pub use heck::{ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};

/// `getUserInfo`, `GetUserInfo`, `get-user` → `get_user_info`.
pub fn snake_case(s: &str) -> String {
    s.to_snake_case()
}

/// `getUserHandler` → `getUser`, as goctl does.
pub fn strip_handler_suffix(name: &str) -> &str {
    name.strip_suffix("Handler")
        .or_else(|| name.strip_suffix("handler"))
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(snake_case("getUserInfo"), "get_user_info");
        assert_eq!(snake_case("GetUserInfo"), "get_user_info");
        assert_eq!(snake_case("HTTPServer"), "http_server");
        assert_eq!(snake_case("user-info"), "user_info");
        assert_eq!(snake_case("getUserV2"), "get_user_v2");
        assert_eq!(strip_handler_suffix("loginHandler"), "login");
        assert_eq!(strip_handler_suffix("login"), "login");
    }
}
