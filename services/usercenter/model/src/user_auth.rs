// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `user_auth`. The generated ones are in `user_auth_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::user_auth_gen::{UserAuth, UserAuthColumn, UserAuthModel};

impl UserAuthModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_auth_key(&self, value: &str) -> crate::Result<Vec<UserAuth>> {
    //     self.find_all(crate::Filter::new().eq(UserAuthColumn::AuthKey, value)).await
    // }
}
