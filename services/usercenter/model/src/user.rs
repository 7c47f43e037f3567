// Code scaffolded by looklook. Safe to edit: looklook never overwrites this file.
//! Your queries on `user`. The generated ones are in `user_gen.rs`,
//! which looklook rewrites; this file is yours.

pub use crate::user_gen::{User, UserColumn, UserModel};

impl UserModel {
    // Add your queries here. Build conditions with a `Filter`: its values are
    // bound parameters, never SQL text. For example:
    //
    // pub async fn find_by_mobile(&self, value: &str) -> crate::Result<Vec<User>> {
    //     self.find_all(crate::Filter::new().eq(UserColumn::Mobile, value)).await
    // }
}
