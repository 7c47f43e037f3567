//! `looklook new`: the files of a new project around its first service: the
//! cargo workspace, the project manifest, the service's `.api` file and a
//! first route that answers. The service crate itself comes from the `.api`
//! generator.

use askama::Template;

use super::{FilePlan, Owner};

#[derive(Template)]
#[template(path = "project/Cargo.toml.askama", escape = "none")]
struct WorkspaceToml<'a> {
    name: &'a str,
}

#[derive(Template)]
#[template(path = "project/looklook.toml.askama", escape = "none")]
struct Manifest<'a> {
    name: &'a str,
    /// The variable that holds its API's address.
    addr_var: &'a str,
}

#[derive(Template)]
#[template(path = "project/looklook.stack.toml.askama", escape = "none")]
struct Stack<'a> {
    name: &'a str,
    /// The database: the name with `_` for `-`, which MySQL needs quoted.
    db: &'a str,
}

#[derive(Template)]
#[template(path = "project/service.api.askama", escape = "none")]
struct ServiceApi<'a> {
    name: &'a str,
}

#[derive(Template)]
#[template(path = "project/hello.rs.askama", escape = "none")]
struct HelloLogic;

#[derive(Template)]
#[template(path = "project/gitignore.askama", escape = "none")]
struct Gitignore;

/// The `.api` file of a new project, relative to its directory.
pub fn api_file(name: &str) -> String {
    format!("{name}.api")
}

/// The project's own files; `name` is already checked (lower-case letters,
/// digits and `-`). The first route's logic is planned here, answering for
/// real, so the `.api` generator finds it and keeps it.
pub fn generate(name: &str) -> FilePlan {
    // Every file ends with a newline, as rustfmt and editors write them
    // (askama drops the template's last one).
    let render = |t: &dyn askama::DynTemplate| {
        let mut text = t.dyn_render().expect("templates render");
        if !text.ends_with('\n') {
            text.push('\n');
        }
        text
    };
    let mut plan = FilePlan::default();
    plan.add(
        "Cargo.toml",
        Owner::Scaffolded,
        render(&WorkspaceToml { name }),
    );
    plan.add(
        "looklook.toml",
        Owner::Scaffolded,
        render(&Manifest {
            name,
            addr_var: &looklook_manifest::addr_var(&format!("{name}-api")),
        }),
    );
    let db = name.replace('-', "_");
    plan.add(
        looklook_manifest::STACK_FILE,
        Owner::Scaffolded,
        render(&Stack { name, db: &db }),
    );
    plan.add(
        api_file(name),
        Owner::Scaffolded,
        render(&ServiceApi { name }),
    );
    plan.add(".gitignore", Owner::Scaffolded, render(&Gitignore));
    plan.add(
        format!("{name}/api/src/logic/hello.rs"),
        Owner::Scaffolded,
        render(&HelloLogic),
    );
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_project_is_a_workspace_a_manifest_and_an_api() {
        let plan = generate("shop");
        let paths: Vec<String> = plan
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .collect();
        assert_eq!(
            paths,
            [
                "Cargo.toml",
                "looklook.toml",
                "looklook.stack.toml",
                "shop.api",
                ".gitignore",
                "shop/api/src/logic/hello.rs"
            ]
        );
        let manifest = &plan.files[1].contents;
        assert!(manifest.contains("package = \"shop-api\""), "{manifest}");
        let file = crate::apidsl::SourceFile::new("looklook.toml", manifest.clone());
        let parsed = looklook_manifest::parse(&file).unwrap_or_else(|e| panic!("{e}\n{manifest}"));
        let walk = &parsed.demo.unwrap().walk.into_inner().command;
        assert_eq!(walk[3], "http://${SHOP_API_ADDR}/hello?name=demo");
        let api = &plan.files[3].contents;
        assert!(api.contains("service shop-api {"), "{api}");
    }

    #[test]
    fn the_stack_file_of_a_new_project_is_valid() {
        let plan = generate("pet-shop");
        let text = &plan.files[2].contents;
        let file = crate::apidsl::SourceFile::new("looklook.stack.toml", text.clone());
        let stack = looklook_stack::parse(&file).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(stack.project(), "pet-shop");
        let plan = looklook_stack::plan(&stack, &[], &[]).unwrap();
        assert_eq!(plan.services, ["mysql", "redis"]);
        let mysql = stack.service("mysql").unwrap();
        assert_eq!(
            mysql.url_at(Some("127.0.0.1:3306")).as_deref(),
            Some("mysql://root:pw@127.0.0.1:3306/pet_shop")
        );
        let kafka = looklook_stack::plan(&stack, &[], &["kafka".into()]).unwrap();
        assert_eq!(kafka.services, ["kafka", "mysql", "redis"]);
    }
}
