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

/// Whether `name` can name a service (or a project, which names its first
/// service): lower-case letters and digits, starting with a letter. It becomes the `.api`
/// service `NAME-api` (an identifier, then only `-api`), the crates
/// `NAME-api`, `NAME-rpc`, `NAME-model` and the proto package `NAME`.
pub fn is_service_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
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

    #[test]
    fn service_names_are_what_every_definition_accepts() {
        for ok in ["shop", "catalog2", "usercenter"] {
            assert!(is_service_name(ok), "{ok}");
        }
        // `pet-shop-api` is no .api service name; `pet_shop` no crate name
        // one would write; the rest are not names at all.
        for bad in ["pet-shop", "pet_shop", "Shop", "2shop", ""] {
            assert!(!is_service_name(bad), "{bad}");
        }
    }
}
