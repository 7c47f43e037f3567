//! MySQL or PostgreSQL tables → a model crate: per table a row struct, a
//! column enum and a model with the everyday queries, optionally behind the
//! Redis cache. Both databases get the same API; only the SQL, the pool
//! type and how an insert learns its new key differ.
//!
//! Every statement is a `&'static str` built here from the DDL's names, and
//! every value is a bound parameter: the generated code never formats SQL.

use crate::naming::{ToLowerCamelCase, ToSnakeCase, ToUpperCamelCase};
use askama::Template;
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::layout::{ModIndex, render};
use super::{
    CrateOptions, FilePlan, Owner, SCAFFOLDED_HEADER, doc, ident, ident_text, inner_doc, rust_file,
};
use crate::ddl::{Column, Dialect, RustType, Table};
use crate::versions;

/// The column that marks a row deleted without removing it.
const DEL_STATE: &str = "del_state";
/// When a row was soft-deleted, set along with `del_state`.
const DELETE_TIME: &str = "delete_time";
/// The optimistic-lock counter.
const VERSION: &str = "version";

#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// `usercenter-model`
    pub crate_name: String,
    /// The database name in cache keys.
    pub database: String,
    /// Read through Redis (cache-aside) and invalidate on writes.
    pub cache: bool,
    /// The database the SQL is written for.
    pub dialect: Dialect,
    pub krate: CrateOptions,
}

/// Tables → the files of one model crate.
pub fn generate(tables: &[Table], opts: &ModelOptions) -> FilePlan {
    // By name: the crate is the same whatever order the file (or a live
    // database, which lists tables by name) gives them in.
    let mut tables: Vec<&Table> = tables.iter().collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let mut plan = FilePlan::default();
    plan.add(
        "Cargo.toml",
        Owner::Scaffolded,
        render(&CargoToml {
            crate_name: &opts.crate_name,
            postgres: opts.dialect == Dialect::Postgres,
            uuid: tables
                .iter()
                .flat_map(|t| &t.columns)
                .any(|c| c.rust_type == RustType::Uuid),
            runtime: &opts.krate.runtime.toml(&["model"]),
            v: Versions::default(),
        }),
    );
    let mut mods = Vec::new();
    for &table in &tables {
        let t = TableNames::new(table);
        mods.push(ident_text(&t.module));
        mods.push(format!("{}_gen", t.module));
        plan.add(
            format!("src/{}_gen.rs", t.module),
            Owner::Generated,
            rust_file(table_gen(table, &t, opts)),
        );
        plan.add(
            format!("src/{}.rs", t.module),
            Owner::Scaffolded,
            render(&TableRs {
                header: SCAFFOLDED_HEADER,
                table: &table.name,
                module: &ident_text(&t.module),
                imports: &{
                    // In the order rustfmt sorts them.
                    let mut names = [t.row.to_string(), t.model.to_string(), t.column.to_string()];
                    names.sort();
                    names.join(", ")
                },
                row: &t.row.to_string(),
                model: &t.model.to_string(),
                column: &t.column.to_string(),
                example: table
                    .columns
                    .iter()
                    .find(|c| c.name != table.primary_key && c.rust_type == RustType::String)
                    .map(|c| Example {
                        snake: c.name.to_snake_case(),
                        variant: c.name.to_upper_camel_case(),
                    }),
            }),
        );
    }
    mods.sort();
    let doc = format!(
        "{}: the rows of {} and the queries on them.",
        opts.crate_name,
        tables
            .iter()
            .map(|t| format!("`{}`", t.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    plan.add(
        "src/lib.rs",
        Owner::ModIndex { mods: mods.clone() },
        render(&LibRs {
            postgres: opts.dialect == Dialect::Postgres,
            index: render(&ModIndex {
                header: SCAFFOLDED_HEADER,
                doc: &doc,
                mods,
            }),
        }),
    );
    plan.finish()
}

/// The Rust names of one table.
struct TableNames {
    /// `user_auth`
    module: String,
    /// `UserAuth`
    row: syn::Ident,
    /// `UserAuthModel`
    model: syn::Ident,
    /// `UserAuthColumn`
    column: syn::Ident,
}

impl TableNames {
    fn new(table: &Table) -> Self {
        let camel = table.name.to_upper_camel_case();
        TableNames {
            module: table.name.to_snake_case(),
            row: type_ident(&camel),
            model: format_ident!("{camel}Model"),
            column: format_ident!("{camel}Column"),
        }
    }
}

/// A column as the generated code sees it.
struct Col<'a> {
    def: &'a Column,
    field: syn::Ident,
    /// `` `mobile` `` (`"mobile"` in PostgreSQL)
    quoted: String,
    /// The column in a select list. A PostgreSQL enum is read as text:
    /// `"kind"::text AS "kind"`.
    read: String,
    /// The column in a condition: an enum compares as text.
    compare: String,
    /// The mark of a value written to it: `?`, or `?::"kind"` for an enum.
    mark: String,
    /// `Mobile`, in the column enum.
    variant: syn::Ident,
}

impl<'a> Col<'a> {
    fn new(def: &'a Column, dialect: Dialect) -> Self {
        let quoted = dialect.quote(&def.name);
        let (read, compare, mark) = match &def.enum_type {
            Some(ty) => (
                format!("{quoted}::text AS {quoted}"),
                format!("{quoted}::text"),
                format!("?::{}", dialect.quote(ty)),
            ),
            None => (quoted.clone(), quoted.clone(), "?".to_string()),
        };
        Col {
            def,
            field: ident(&def.name.to_snake_case()),
            quoted,
            read,
            compare,
            mark,
            variant: type_ident(&def.name.to_upper_camel_case()),
        }
    }

    /// The field's type: `Option<T>` when the column is nullable, `Vec<T>`
    /// for an array.
    fn ty(&self) -> TokenStream {
        let inner: syn::Type = syn::parse_str(self.def.rust_type.path()).expect("a Rust type");
        let inner = if self.def.array {
            quote!(Vec<#inner>)
        } else {
            quote!(#inner)
        };
        if self.def.nullable {
            quote!(Option<#inner>)
        } else {
            quote!(#inner)
        }
    }

    /// The type a finder takes a value of this column as: borrowed when the
    /// value owns memory.
    fn param_ty(&self) -> TokenStream {
        if self.def.array {
            let ty: syn::Type = syn::parse_str(self.def.rust_type.path()).expect("a Rust type");
            return quote!(&[#ty]);
        }
        match self.def.rust_type {
            RustType::String => quote!(&str),
            RustType::Bytes => quote!(&[u8]),
            RustType::Json => quote!(&serde_json::Value),
            other => {
                let ty: syn::Type = syn::parse_str(other.path()).expect("a Rust type");
                quote!(#ty)
            }
        }
    }

    /// Whether a value is bound by reference (it is not `Copy`).
    fn owns_memory(&self) -> bool {
        self.def.array
            || matches!(
                self.def.rust_type,
                RustType::String | RustType::Bytes | RustType::Json
            )
    }

    /// Whether a value of this column can be part of a cache key.
    fn keyable(&self) -> bool {
        !self.def.array && !matches!(self.def.rust_type, RustType::Bytes | RustType::Json)
    }

    /// Columns the database fills itself (`DEFAULT`/`ON UPDATE
    /// CURRENT_TIMESTAMP`, auto-increment): never written by the model.
    fn database_owned(&self) -> bool {
        self.def.auto_increment || self.def.default_now || self.def.on_update_now
    }
}

/// One unique key and the finder it gets.
struct Unique<'a> {
    cols: Vec<&'a Col<'a>>,
    /// `find_one_by_auth_type_auth_key`
    finder: syn::Ident,
    /// `BY_AUTH_TYPE_AUTH_KEY`
    select: syn::Ident,
    /// `AUTH_TYPE_AUTH_KEY_KEY`
    key_prefix: syn::Ident,
    cached: bool,
}

fn table_gen(table: &Table, names: &TableNames, opts: &ModelOptions) -> TokenStream {
    let cols: Vec<Col> = table
        .columns
        .iter()
        .map(|c| Col::new(c, opts.dialect))
        .collect();
    let g = TableGen::new(table, names, opts, &cols);
    let file_doc = inner_doc(&format!(
        "`{}`: the row, its columns and the generated queries. Add your own queries in `{}.rs`.",
        table.name, names.module
    ));
    let cache_import = if opts.cache {
        quote!(Cache, key,)
    } else {
        quote!()
    };
    let sqlx_import = match opts.dialect {
        Dialect::MySql => quote!(
            use sqlx::{MySqlConnection, MySqlPool};
        ),
        Dialect::Postgres => quote!(
            use sqlx::{PgConnection, PgPool, Postgres};
        ),
    };
    let consts = g.statements();
    let row = g.row_and_columns();
    let model = g.model();
    quote! {
        #file_doc

        use std::sync::Arc;

        use looklook_runtime::model::{#cache_import Column, Error, Filter, Order, Result, Tx, breaker_for, check_page_size, guarded, page_offset};
        use looklook_runtime::resilience::Breaker;
        #sqlx_import

        #(#consts)*

        #row

        #model
    }
}

/// What the parts of a table's file are generated from: its columns, keys
/// and the statements that several parts use.
struct TableGen<'a> {
    table_name: &'a str,
    names: &'a TableNames,
    opts: &'a ModelOptions,
    cols: &'a [Col<'a>],
    pk: &'a Col<'a>,
    /// `del_state`, when the table has it: deletes are soft.
    soft: Option<&'a Col<'a>>,
    /// `delete_time`, set by a soft delete.
    delete_time: Option<&'a Col<'a>>,
    /// `version`, for optimistic locking.
    version: Option<&'a Col<'a>>,
    uniques: Vec<Unique<'a>>,
    /// `SELECT <every column> FROM <table>`.
    select_head: String,
    /// ` AND del_state = 0`, or nothing.
    and_live: String,
    insert_cols: Vec<&'a Col<'a>>,
    /// What an update writes: not the key, the version or what the
    /// database fills.
    set_cols: Vec<&'a Col<'a>>,
    update_sql: String,
    /// Updates and deletes read the old row first when a unique key is
    /// cached: its old values' keys must go too.
    has_old: bool,
    /// `row.id`, or `&row.id` when the key owns memory.
    pk_of_row: TokenStream,
    /// The pool, connection, transaction and filter types of the dialect.
    pool_ty: TokenStream,
    conn_ty: TokenStream,
    tx_ty: TokenStream,
    filter_ty: TokenStream,
}

impl<'a> TableGen<'a> {
    fn new(
        table: &'a Table,
        names: &'a TableNames,
        opts: &'a ModelOptions,
        cols: &'a [Col<'a>],
    ) -> Self {
        let col = |name: &str| cols.iter().find(|c| c.def.name == name);
        let pk = col(&table.primary_key).expect("the parser checked the primary key");
        let soft = col(DEL_STATE);
        let delete_time = col(DELETE_TIME).filter(|_| soft.is_some());
        let version = col(VERSION).filter(|c| !c.def.nullable && is_integer(c.def.rust_type));
        let uniques: Vec<Unique> = table
            .unique_keys
            .iter()
            .filter(|k| k.columns != [table.primary_key.clone()])
            .map(|k| {
                let cols: Vec<&Col> = k.columns.iter().filter_map(|n| col(n)).collect();
                let snake = k.columns.join("_").to_snake_case();
                Unique {
                    cached: opts.cache && cols.iter().all(|c| c.keyable()),
                    finder: format_ident!("find_one_by_{snake}"),
                    select: format_ident!("BY_{}", snake.to_uppercase()),
                    key_prefix: format_ident!("{}_KEY", snake.to_uppercase()),
                    cols,
                }
            })
            .collect();
        let dialect = opts.dialect;
        let quoted = |name: &str| dialect.quote(name);
        let all_columns = cols
            .iter()
            .map(|c| c.read.clone())
            .collect::<Vec<_>>()
            .join(", ");
        let select_head = format!("SELECT {all_columns} FROM {}", quoted(&table.name));
        let and_live = soft.map_or(String::new(), |c| format!(" AND {} = 0", c.quoted));
        let insert_cols: Vec<&Col> = cols.iter().filter(|c| !c.database_owned()).collect();
        let set_cols: Vec<&Col> = cols
            .iter()
            .filter(|c| !c.database_owned() && c.def.name != pk.def.name)
            .filter(|c| version.is_none_or(|v| v.def.name != c.def.name))
            .collect();
        let mut sets: Vec<String> = set_cols
            .iter()
            .map(|c| format!("{} = {}", c.quoted, c.mark))
            .collect();
        if let Some(v) = version {
            sets.push(format!("{0} = {0} + 1", v.quoted));
        }
        let update_sql = format!(
            "UPDATE {} SET {} WHERE {} = ?",
            quoted(&table.name),
            sets.join(", "),
            pk.quoted
        );
        let has_old = uniques.iter().any(|u| u.cached);
        let pk_field = &pk.field;
        let pk_of_row = if pk.owns_memory() {
            quote!(&row.#pk_field)
        } else {
            quote!(row.#pk_field)
        };
        let column = &names.column;
        let (pool_ty, conn_ty, tx_ty, filter_ty) = match dialect {
            Dialect::MySql => (
                quote!(MySqlPool),
                quote!(MySqlConnection),
                quote!(Tx),
                quote!(Filter<#column>),
            ),
            Dialect::Postgres => (
                quote!(PgPool),
                quote!(PgConnection),
                quote!(Tx<Postgres>),
                quote!(Filter<#column, Postgres>),
            ),
        };
        TableGen {
            table_name: &table.name,
            names,
            opts,
            cols,
            pk,
            soft,
            delete_time,
            version,
            uniques,
            select_head,
            and_live,
            insert_cols,
            set_cols,
            update_sql,
            has_old,
            pk_of_row,
            pool_ty,
            conn_ty,
            tx_ty,
            filter_ty,
        }
    }

    /// The SQL and the cache-key prefixes, as constants.
    fn statements(&self) -> Vec<TokenStream> {
        let TableGen {
            table_name,
            opts,
            pk,
            soft,
            delete_time,
            version,
            uniques,
            select_head,
            and_live,
            insert_cols,
            update_sql,
            ..
        } = self;
        let cache = opts.cache;
        let dialect = opts.dialect;
        let quoted = |name: &str| dialect.quote(name);
        let live = soft.map_or(String::new(), |c| format!("{} = 0", c.quoted));
        let by_id = format!("{select_head} WHERE {} = ?{and_live} LIMIT 1", pk.quoted);
        let mut insert_sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            quoted(table_name),
            insert_cols
                .iter()
                .map(|c| c.quoted.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            insert_cols
                .iter()
                .map(|c| c.mark.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        // PostgreSQL has no last-insert id: the statement returns the key.
        if dialect == Dialect::Postgres && pk.def.auto_increment {
            insert_sql.push_str(&format!(" RETURNING {}", pk.quoted));
        }
        let by_id = dialect.numbered(&by_id);
        let insert_sql = dialect.numbered(&insert_sql);
        let update_sql = dialect.numbered(update_sql);
        let delete_sql = dialect.numbered(&format!(
            "DELETE FROM {} WHERE {} = ?",
            quoted(table_name),
            pk.quoted
        ));
        let count_head = format!("SELECT COUNT(*) FROM {}", quoted(table_name));

        let mut consts = vec![quote! {
            const TABLE: &str = #table_name;
            /// Every column, in the order of the struct.
            const SELECT: &str = #select_head;
            const COUNT: &str = #count_head;
            const BY_ID: &str = #by_id;
            const INSERT: &str = #insert_sql;
            const UPDATE: &str = #update_sql;
            const DELETE: &str = #delete_sql;
        }];
        if let Some(soft) = soft {
            consts.push(quote! {
                /// The condition that hides soft-deleted rows.
                const LIVE: &str = #live;
            });
            let mut set = vec![format!("{} = 1", soft.quoted)];
            if let Some(t) = delete_time {
                set.push(format!("{} = NOW()", t.quoted));
            }
            let sql = dialect.numbered(&format!(
                "UPDATE {} SET {} WHERE {} = ?{and_live}",
                quoted(table_name),
                set.join(", "),
                pk.quoted
            ));
            consts.push(quote! { const DELETE_SOFT: &str = #sql; });
        } else {
            consts.push(quote! {
                /// No soft delete here: every row is live.
                const LIVE: &str = "";
            });
        }
        if let Some(v) = version {
            let sql = dialect.numbered(&format!("{} AND {} = ?", self.update_sql, v.quoted));
            consts.push(quote! { const UPDATE_WITH_VERSION: &str = #sql; });
        }
        for u in uniques.iter() {
            let select = &u.select;
            let conds = u
                .cols
                .iter()
                .map(|c| format!("{} = ?", c.compare))
                .collect::<Vec<_>>()
                .join(" AND ");
            let sql = dialect.numbered(&format!("{select_head} WHERE {conds}{and_live} LIMIT 1"));
            consts.push(quote! { const #select: &str = #sql; });
        }
        if cache {
            let prefix = |cols: &[&str]| {
                let mut parts = vec![
                    "cache".to_string(),
                    opts.database.to_lower_camel_case(),
                    table_name.to_lower_camel_case(),
                ];
                parts.extend(cols.iter().map(|c| c.to_lower_camel_case()));
                format!("{}:", parts.join(":"))
            };
            let id_key = prefix(&[pk.def.name.as_str()]);
            consts.push(quote! {
                /// Cache keys: `<prefix><value>`, as go-zero writes them.
                const ID_KEY: &str = #id_key;
            });
            for u in uniques.iter().filter(|u| u.cached) {
                let name = &u.key_prefix;
                let names: Vec<&str> = u.cols.iter().map(|c| c.def.name.as_str()).collect();
                let p = prefix(&names);
                consts.push(quote! { const #name: &str = #p; });
            }
        }
        if self.has_old {
            let sql = dialect.numbered(&format!("{select_head} WHERE {} = ? LIMIT 1", pk.quoted));
            consts.push(quote! {
                /// By primary key, deleted or not: what a write replaces.
                const BY_ID_ANY: &str = #sql;
            });
        }
        consts
    }

    /// The row struct, and the enum of its columns for filters.
    fn row_and_columns(&self) -> TokenStream {
        let TableGen {
            table_name, cols, ..
        } = self;
        let TableNames { row, column, .. } = self.names;
        let fields = cols.iter().map(|c| {
            let field = &c.field;
            let ty = c.ty();
            let doc = c.def.comment.as_deref().map(doc);
            // `r#type` or `create_time` for `createTime`: say which column it is.
            let rename = (c.field != c.def.name).then(|| {
                let name = &c.def.name;
                quote!(#[sqlx(rename = #name)] #[serde(rename = #name)])
            });
            quote!(#doc #rename pub #field: #ty)
        });
        let row_doc = doc(&format!("A row of `{table_name}`."));
        let variants = cols.iter().map(|c| &c.variant);
        let quoted_arms = cols.iter().map(|c| {
            let v = &c.variant;
            let s = &c.compare;
            quote!(#column::#v => #s)
        });
        let column_doc = doc(&format!("The columns of `{table_name}`, for [`Filter`]s."));

        quote! {
            #row_doc
            #[derive(Debug, Clone, PartialEq, Default, sqlx::FromRow, serde::Serialize, serde::Deserialize)]
            pub struct #row {
                #(#fields,)*
            }

            #column_doc
            #[derive(Debug, Clone, Copy, PartialEq, Eq)]
            pub enum #column {
                #(#variants,)*
            }

            impl Column for #column {
                fn quoted(self) -> &'static str {
                    match self {
                        #(#quoted_arms,)*
                    }
                }
            }
        }
    }

    /// The cache keys a row can be found under; `None` without a cache.
    fn cache_fns(&self) -> Option<TokenStream> {
        if !self.opts.cache {
            return None;
        }
        let TableGen {
            has_old, pk_of_row, ..
        } = self;
        let has_old = *has_old;
        let row = &self.names.row;
        let cached_uniques: Vec<&Unique> = self.uniques.iter().filter(|u| u.cached).collect();

        let unique_keys = has_old.then(|| {
            let nullable_key = cached_uniques
                .iter()
                .any(|u| u.cols.iter().any(|c| c.def.nullable));
            let entries = cached_uniques.iter().map(|u| {
                let prefix = &u.key_prefix;
                let nullable: Vec<&syn::Ident> = u
                    .cols
                    .iter()
                    .filter(|c| c.def.nullable)
                    .map(|c| &c.field)
                    .collect();
                let values = u.cols.iter().map(|c| {
                    let f = &c.field;
                    if c.def.nullable {
                        quote!(#f)
                    } else {
                        quote!(&row.#f)
                    }
                });
                let value = quote!(key(#prefix, &[#(#values),*]));
                match (nullable_key, nullable.is_empty()) {
                    (false, _) => value,
                    (true, true) => quote!(keys.push(#value);),
                    // A NULL value is never looked up, so it has no key.
                    (true, false) => quote! {
                        if let (#(Some(#nullable),)*) = (#(&row.#nullable,)*) {
                            keys.push(#value);
                        }
                    },
                }
            });
            let body = if nullable_key {
                quote! {
                    let mut keys = Vec::new();
                    #(#entries)*
                    keys
                }
            } else {
                quote!(vec![#(#entries),*])
            };
            quote! {
                /// The cache keys of the row's unique values, which hold its
                /// primary key.
                fn unique_keys(row: &#row) -> Vec<String> {
                    #body
                }
            }
        });
        let cache_keys = if has_old {
            quote! {
                let mut keys = Self::unique_keys(row);
                keys.push(Self::id_key(#pk_of_row));
                keys
            }
        } else {
            quote!(vec![Self::id_key(#pk_of_row)])
        };
        Some(quote! {
            /// The cache key of a primary-key value.
            fn id_key(id: impl std::fmt::Display + Sync) -> String {
                key(ID_KEY, &[&id])
            }

            #unique_keys

            /// Every cache key that can hold this row.
            fn cache_keys(row: &#row) -> Vec<String> {
                #cache_keys
            }
        })
    }

    /// The finders: by primary key, by each unique key, by filter, by page.
    fn reads(&self) -> TokenStream {
        let TableGen {
            pk,
            uniques,
            tx_ty,
            filter_ty,
            ..
        } = self;
        let cache = self.opts.cache;
        let TableNames { row, column, .. } = self.names;
        let pk_field = &pk.field;
        let pk_ty = pk.param_ty();
        let pk_by_ref = pk.owns_memory();
        let pk_variant = &pk.variant;
        let find_one = if cache {
            quote! {
                /// The live row with this primary key, read through the cache.
                pub async fn find_one(&self, id: #pk_ty) -> Result<Option<#row>> {
                    let loaded = self
                        .cache
                        .take(&Self::id_key(id), async || self.query_one(id).await)
                        .await?;
                    Ok(loaded)
                }

                /// The live row with this primary key, read from the database and
                /// never from the cache: the copy to start a versioned write from,
                /// since a cached copy may be stale.
                pub async fn find_one_fresh(&self, id: #pk_ty) -> Result<Option<#row>> {
                    self.query_one(id).await
                }
            }
        } else {
            quote! {
                /// The live row with this primary key.
                pub async fn find_one(&self, id: #pk_ty) -> Result<Option<#row>> {
                    self.query_one(id).await
                }
            }
        };
        let finders = uniques.iter().map(|u| {
            let finder = &u.finder;
            let select = &u.select;
            let params = u.cols.iter().map(|c| {
                let f = &c.field;
                let ty = c.param_ty();
                quote!(#f: #ty)
            });
            let args: Vec<&syn::Ident> = u.cols.iter().map(|c| &c.field).collect();
            let names = u.cols.iter().map(|c| format!("`{}`", c.def.name)).collect::<Vec<_>>().join(" and ");
            let query = quote! {
                guarded(&self.breaker, sqlx::query_as(#select)
                    #(.bind(#args))*
                    .fetch_optional(&self.pool)).await
            };
            if u.cached {
                let doc = doc(&format!("The live row with this {names}, read through the cache: the key holds the primary key, which leads to the row."));
                let prefix = &u.key_prefix;
                let by_primary = if pk_by_ref { quote!(async |id: String| self.query_one(&id).await) } else { quote!(async |id| self.query_one(id).await) };
                let pk_of = if pk_by_ref { quote!(row.#pk_field.clone()) } else { quote!(row.#pk_field) };
                quote! {
                    #doc
                    pub async fn #finder(&self, #(#params),*) -> Result<Option<#row>> {
                        let loaded = self
                            .cache
                            .take_by_index(
                                &key(#prefix, &[#(&#args),*]),
                                ID_KEY,
                                |row: &#row| #pk_of,
                                async || #query,
                                #by_primary,
                            )
                            .await?;
                        Ok(loaded)
                    }
                }
            } else {
                let doc = doc(&format!("The live row with this {names}."));
                quote! {
                    #doc
                    pub async fn #finder(&self, #(#params),*) -> Result<Option<#row>> {
                        #query
                    }
                }
            }
        });
        let find_one_in_doc = doc(
            "The live row with this primary key, read inside a transaction (never from the cache: the transaction may have changed it).",
        );
        quote! {
            #find_one

            #find_one_in_doc
            pub async fn find_one_in(&self, tx: &mut #tx_ty, id: #pk_ty) -> Result<Option<#row>> {
                Ok(sqlx::query_as(BY_ID).bind(id).fetch_optional(tx.conn()).await?)
            }

            #(#finders)*

            /// Live rows matching `filter`, in its order and limit.
            pub async fn find_all(&self, filter: #filter_ty) -> Result<Vec<#row>> {
                guarded(&self.breaker, filter.select(SELECT, LIVE)?.fetch_all(&self.pool)).await
            }

            /// Page `page` (from 1) of `page_size` live rows matching `filter`,
            /// newest first unless `filter` has an order. A page out of range
            /// ([`page_offset`]) is an error, never an overflow.
            pub async fn find_page(&self, filter: #filter_ty, page: u64, page_size: u64) -> Result<Vec<#row>> {
                let offset = page_offset(page, page_size)?;
                let filter = if filter.has_order() { filter } else { filter.order_by(#column::#pk_variant, Order::Desc) };
                self.find_all(filter.limit(page_size).offset(offset)).await
            }

            /// Up to `page_size` live rows matching `filter` with a primary key
            /// below `before` (all when `None`), largest first: keyset paging,
            /// which stays fast however deep the page.
            pub async fn find_page_by_id_desc(&self, filter: #filter_ty, before: Option<#pk_ty>, page_size: u64) -> Result<Vec<#row>> {
                check_page_size(page_size)?;
                let filter = match before {
                    Some(id) => filter.lt(#column::#pk_variant, id),
                    None => filter,
                };
                self.find_all(filter.order_by(#column::#pk_variant, Order::Desc).limit(page_size)).await
            }

            /// How many live rows match `filter`.
            pub async fn count(&self, filter: #filter_ty) -> Result<i64> {
                guarded(&self.breaker, filter.count(COUNT, LIVE)?.fetch_one(&self.pool)).await
            }
        }
    }

    /// What a write does with the cache keys it made stale: drop them now,
    /// or (inside a transaction) once it commits.
    fn after_write(&self) -> (TokenStream, TokenStream) {
        if self.opts.cache {
            (
                quote!(self.cache.del(&stale).await;),
                quote!(tx.invalidate_on_commit(&self.cache, stale);),
            )
        } else {
            (quote!(let _ = stale;), quote!(let _ = (tx, stale);))
        }
    }

    /// `Error::NoRow` for the key `id`.
    fn no_row(id: TokenStream) -> TokenStream {
        quote! {
            Error::NoRow { table: TABLE, id: #id.to_string() }
        }
    }

    /// `insert`, `insert_in` and the `insert_on` they share.
    fn insert_fns(&self) -> TokenStream {
        let TableGen {
            pk,
            has_old,
            conn_ty,
            tx_ty,
            ..
        } = self;
        let has_old = *has_old;
        let cache = self.opts.cache;
        let row = &self.names.row;
        let pk_ty = pk.param_ty();
        let (after_write, after_write_in) = self.after_write();
        let pk_name = &pk.def.name;
        let insert_binds = self.binds(&self.insert_cols);
        let auto_pk = pk.def.auto_increment;
        let insert_ret = if auto_pk { quote!(#pk_ty) } else { quote!(()) };
        let insert_doc = doc(&if auto_pk {
            format!(
                "Insert a row and return its new `{pk_name}`. The database fills auto-increment and `CURRENT_TIMESTAMP` columns; their values in `row` are ignored."
            )
        } else {
            "Insert a row. The database fills `CURRENT_TIMESTAMP` columns; their values in `row` are ignored.".to_string()
        });
        let insert_body = if auto_pk {
            let run = match self.opts.dialect {
                Dialect::MySql => {
                    let id = if pk.def.rust_type == RustType::U64 {
                        quote!(done.last_insert_id())
                    } else {
                        quote!(#pk_ty::try_from(done.last_insert_id()).map_err(|e| sqlx::Error::Decode(e.into()))?)
                    };
                    quote! {
                        let done = sqlx::query(INSERT) #insert_binds .execute(conn).await?;
                        let id = #id;
                    }
                }
                // `INSERT … RETURNING` answers with the new key.
                Dialect::Postgres => quote! {
                    let id: #pk_ty = sqlx::query_scalar(INSERT) #insert_binds .fetch_one(conn).await?;
                },
            };
            // The new row's keys may hold "no such row" placeholders: clear them.
            let stale = if !cache {
                quote!(let stale = Vec::new();)
            } else if has_old {
                quote! {
                    let mut stale = Self::unique_keys(row);
                    stale.push(Self::id_key(id));
                }
            } else {
                quote!(let stale = vec![Self::id_key(id)];)
            };
            quote! {
                #run
                #stale
                Ok((id, stale))
            }
        } else {
            let stale = if cache {
                quote!(Self::cache_keys(row))
            } else {
                quote!(Vec::new())
            };
            quote! {
                sqlx::query(INSERT) #insert_binds .execute(conn).await?;
                Ok(((), #stale))
            }
        };
        let insert_fns = quote! {
            #insert_doc
            pub async fn insert(&self, row: &#row) -> Result<#insert_ret> {
                let (id, stale) = guarded(&self.breaker, async { self.insert_on(&mut *self.pool.acquire().await?, row).await }).await?;
                #after_write
                Ok(id)
            }

            /// [`insert`](Self::insert) inside a transaction.
            pub async fn insert_in(&self, tx: &mut #tx_ty, row: &#row) -> Result<#insert_ret> {
                let (id, stale) = self.insert_on(tx.conn(), row).await?;
                #after_write_in
                Ok(id)
            }

            async fn insert_on(&self, conn: &mut #conn_ty, row: &#row) -> Result<(#insert_ret, Vec<String>)> {
                #insert_body
            }
        };
        insert_fns
    }

    /// `update` and, with a version column, `update_with_version`: each
    /// with its `_in` and `_on`.
    fn update_fns(&self) -> TokenStream {
        let TableGen {
            pk,
            has_old,
            pk_of_row,
            version,
            conn_ty,
            tx_ty,
            ..
        } = self;
        let has_old = *has_old;
        let cache = self.opts.cache;
        let row = &self.names.row;
        let pk_field = &pk.field;
        let (after_write, after_write_in) = self.after_write();
        let set_binds = self.binds(&self.set_cols);
        let old_keys = has_old.then(|| {
            quote! {
                // The old unique values' keys too: a changed value must not keep
                // pointing at this row.
                let old: Option<#row> = sqlx::query_as(BY_ID_ANY)
                    .bind(#pk_of_row)
                    .fetch_optional(&mut *conn)
                    .await?;
            }
        });
        let update_stale = if !cache {
            quote!(let stale = Vec::new();)
        } else if has_old {
            quote! {
                let mut stale = Self::cache_keys(row);
                stale.extend(old.iter().flat_map(Self::cache_keys));
            }
        } else {
            quote!(let stale = Self::cache_keys(row);)
        };
        let no_row_of_row = Self::no_row(quote!(row.#pk_field));
        let update_fns = quote! {
            /// Write every column of `row` the model owns, by primary key.
            pub async fn update(&self, row: &#row) -> Result<()> {
                let stale = guarded(&self.breaker, async { self.update_on(&mut *self.pool.acquire().await?, row).await }).await?;
                #after_write
                Ok(())
            }

            /// [`update`](Self::update) inside a transaction.
            pub async fn update_in(&self, tx: &mut #tx_ty, row: &#row) -> Result<()> {
                let stale = self.update_on(tx.conn(), row).await?;
                #after_write_in
                Ok(())
            }

            async fn update_on(&self, conn: &mut #conn_ty, row: &#row) -> Result<Vec<String>> {
                #old_keys
                let done = sqlx::query(UPDATE)
                    #set_binds
                    .bind(#pk_of_row)
                    .execute(&mut *conn)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(#no_row_of_row);
                }
                #update_stale
                Ok(stale)
            }
        };

        let version_fns = version.map(|v| {
            let vf = &v.field;
            let doc = doc(&format!("Like [`update`](Self::update), but only if the row is still at `row.{vf}`; then `row.{vf}` moves on by one. [`Error::VersionConflict`] means another writer won: read the row again and retry."));
            let version_text = match v.def.rust_type {
                RustType::I64 => quote!(row.#vf),
                RustType::U64 => quote!(row.#vf as i64),
                _ => quote!(i64::from(row.#vf)),
            };
            // With a cache, a conflict may come from a stale cached copy:
            // its keys go, so that the caller's retry reads the database.
            let (run, run_in, drop_if_conflict) = if cache {
                (
                    quote! {
                        let done = guarded(&self.breaker, async { self.update_with_version_on(&mut *self.pool.acquire().await?, row).await }).await;
                        let stale = self.drop_if_conflict(row, done).await?;
                    },
                    quote! {
                        let done = self.update_with_version_on(tx.conn(), row).await;
                        let stale = self.drop_if_conflict(row, done).await?;
                    },
                    Some(quote! {
                        /// A version conflict means the row changed since it was read,
                        /// perhaps from a stale cached copy: its keys go, so that a retry
                        /// reads the row from the database instead of conflicting again.
                        async fn drop_if_conflict(&self, row: &#row, done: Result<Vec<String>>) -> Result<Vec<String>> {
                            if let Err(Error::VersionConflict { .. }) = &done {
                                self.cache.del(&Self::cache_keys(row)).await;
                            }
                            done
                        }
                    }),
                )
            } else {
                (
                    quote!(let stale = guarded(&self.breaker, async { self.update_with_version_on(&mut *self.pool.acquire().await?, row).await }).await?;),
                    quote!(let stale = self.update_with_version_on(tx.conn(), row).await?;),
                    None,
                )
            };
            quote! {
                #doc
                pub async fn update_with_version(&self, row: &mut #row) -> Result<()> {
                    #run
                    #after_write
                    Ok(())
                }

                /// [`update_with_version`](Self::update_with_version) inside a transaction.
                pub async fn update_with_version_in(&self, tx: &mut #tx_ty, row: &mut #row) -> Result<()> {
                    #run_in
                    #after_write_in
                    Ok(())
                }

                #drop_if_conflict

                async fn update_with_version_on(&self, conn: &mut #conn_ty, row: &mut #row) -> Result<Vec<String>> {
                    #old_keys
                    let done = sqlx::query(UPDATE_WITH_VERSION)
                        #set_binds
                        .bind(#pk_of_row)
                        .bind(row.#vf)
                        .execute(&mut *conn)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(Error::VersionConflict {
                            table: TABLE,
                            id: row.#pk_field.to_string(),
                            version: #version_text,
                        });
                    }
                    row.#vf += 1;
                    #update_stale
                    Ok(stale)
                }
            }
        });
        quote! {
            #update_fns
            #version_fns
        }
    }

    /// `delete` and, with soft deletes, `delete_soft`: each with its `_in`
    /// and `_on`.
    fn delete_fns(&self) -> TokenStream {
        let TableGen {
            pk,
            has_old,
            soft,
            delete_time,
            conn_ty,
            tx_ty,
            ..
        } = self;
        let has_old = *has_old;
        let cache = self.opts.cache;
        let row = &self.names.row;
        let pk_ty = pk.param_ty();
        let (after_write, after_write_in) = self.after_write();
        let no_row_of_id = Self::no_row(quote!(id));
        let delete_old = has_old.then(|| {
            quote! {
                let old: Option<#row> = sqlx::query_as(BY_ID_ANY)
                    .bind(id)
                    .fetch_optional(&mut *conn)
                    .await?;
            }
        });
        let delete_stale = if !cache {
            quote!(Vec::new())
        } else if has_old {
            quote!(old.iter().flat_map(Self::cache_keys).collect())
        } else {
            quote!(vec![Self::id_key(id)])
        };
        let delete_fn = |name: &str, sql: TokenStream, text: &str| {
            let text = doc(text);
            let public = format_ident!("{name}");
            let in_tx = format_ident!("{name}_in");
            let on = format_ident!("{name}_on");
            let in_doc = doc(&format!("[`{name}`](Self::{name}) inside a transaction."));
            quote! {
                #text
                pub async fn #public(&self, id: #pk_ty) -> Result<()> {
                    let stale = guarded(&self.breaker, async { self.#on(&mut *self.pool.acquire().await?, id).await }).await?;
                    #after_write
                    Ok(())
                }

                #in_doc
                pub async fn #in_tx(&self, tx: &mut #tx_ty, id: #pk_ty) -> Result<()> {
                    let stale = self.#on(tx.conn(), id).await?;
                    #after_write_in
                    Ok(())
                }

                async fn #on(&self, conn: &mut #conn_ty, id: #pk_ty) -> Result<Vec<String>> {
                    #delete_old
                    let done = sqlx::query(#sql).bind(id).execute(&mut *conn).await?;
                    if done.rows_affected() == 0 {
                        return Err(#no_row_of_id);
                    }
                    Ok(#delete_stale)
                }
            }
        };
        let delete_fns = delete_fn("delete", quote!(DELETE), "Remove the row for good.");
        let delete_soft_fns = soft.map(|s| {
            let doc = match delete_time {
                Some(t) => format!(
                    "Mark the row deleted (`{} = 1`, `{}` = now); finders skip it from then on.",
                    s.def.name, t.def.name
                ),
                None => format!(
                    "Mark the row deleted (`{} = 1`); finders skip it from then on.",
                    s.def.name
                ),
            };
            delete_fn("delete_soft", quote!(DELETE_SOFT), &doc)
        });
        quote! {
            #delete_fns
            #delete_soft_fns
        }
    }

    /// `.bind(row.a).bind(&row.b)...` for `list`, in statement order.
    fn binds(&self, list: &[&Col]) -> TokenStream {
        let binds = list.iter().map(|c| {
            let f = &c.field;
            if c.owns_memory() {
                quote!(.bind(&row.#f))
            } else {
                quote!(.bind(row.#f))
            }
        });
        quote!(#(#binds)*)
    }

    /// The model: its struct, and every finder and write.
    fn model(&self) -> TokenStream {
        let TableGen {
            table_name,
            pk,
            pool_ty,
            ..
        } = self;
        let cache = self.opts.cache;
        let TableNames { row, model, .. } = self.names;
        let pk_ty = pk.param_ty();
        let (cache_field, cache_param, cache_init) = if cache {
            (
                quote!(cache: Cache,),
                quote!(, cache: Cache),
                quote!(cache,),
            )
        } else {
            (quote!(), quote!(), quote!())
        };
        let model_doc = doc(&if cache {
            format!(
                "Reads and writes `{table_name}` rows; reads by primary or unique key go through the Redis cache."
            )
        } else {
            format!("Reads and writes `{table_name}` rows.")
        });
        let reads = self.reads();
        let insert_fns = self.insert_fns();
        let update_fns = self.update_fns();
        let delete_fns = self.delete_fns();
        let cache_fns = self.cache_fns();
        quote! {
            #model_doc
            #[derive(Clone)]
            pub struct #model {
                pool: #pool_ty,
                /// The database's breaker, shared with every model on it:
                /// each call goes through it ([`guarded`]).
                breaker: Arc<Breaker>,
                #cache_field
            }

            impl #model {
                pub fn new(pool: #pool_ty #cache_param) -> Self {
                    #model { breaker: breaker_for(&pool), pool, #cache_init }
                }

                /// The pool, for [`transact`](looklook_runtime::model::transact) and custom queries.
                pub fn pool(&self) -> &#pool_ty {
                    &self.pool
                }

                #reads

                #insert_fns
                #update_fns
                #delete_fns

                async fn query_one(&self, id: #pk_ty) -> Result<Option<#row>> {
                    guarded(&self.breaker, sqlx::query_as(BY_ID).bind(id).fetch_optional(&self.pool)).await
                }

                #cache_fns
            }
        }
    }
}

/// A type or variant name; `Self` (from a table or column named `self`) is
/// taken, so it becomes `Self_`.
fn type_ident(camel: &str) -> syn::Ident {
    if camel == "Self" {
        format_ident!("Self_")
    } else {
        format_ident!("{camel}")
    }
}

fn is_integer(t: RustType) -> bool {
    matches!(
        t,
        RustType::I8
            | RustType::U8
            | RustType::I16
            | RustType::U16
            | RustType::I32
            | RustType::U32
            | RustType::I64
            | RustType::U64
    )
}

#[derive(Debug, Clone, Copy)]
struct Versions {
    serde: &'static str,
    serde_json: &'static str,
    sqlx: &'static str,
    chrono: &'static str,
    rust_decimal: &'static str,
    uuid: &'static str,
}

impl Default for Versions {
    fn default() -> Self {
        Versions {
            serde: versions::SERDE,
            serde_json: versions::SERDE_JSON,
            sqlx: versions::SQLX,
            chrono: versions::CHRONO,
            rust_decimal: versions::RUST_DECIMAL,
            uuid: versions::UUID,
        }
    }
}

#[derive(Template)]
#[template(path = "model/Cargo.toml.askama", escape = "none")]
struct CargoToml<'a> {
    crate_name: &'a str,
    runtime: &'a str,
    /// sqlx's `postgres` feature instead of `mysql`.
    postgres: bool,
    /// A column is a UUID: the crate names `uuid::Uuid`.
    uuid: bool,
    v: Versions,
}

#[derive(Template)]
#[template(path = "model/lib.rs.askama", escape = "none")]
struct LibRs {
    postgres: bool,
    index: String,
}

#[derive(Template)]
#[template(path = "model/table.rs.askama", escape = "none")]
struct TableRs<'a> {
    header: &'a str,
    table: &'a str,
    module: &'a str,
    /// The generated items the file re-exports.
    imports: &'a str,
    row: &'a str,
    model: &'a str,
    column: &'a str,
    /// A text column to show a custom query on.
    example: Option<Example>,
}

struct Example {
    /// `nickname`
    snake: String,
    /// `Nickname`
    variant: String,
}
