//! `gen model --datasource`: the schema of a live MySQL, MariaDB or
//! PostgreSQL database, as DDL the model generator reads like a file.
//!
//! goctl reads `information_schema` and rebuilds the columns from it. For
//! MySQL this asks the server for `SHOW CREATE TABLE` instead: the server's
//! own DDL of each table, read by the same parser as a `.sql` file. So a
//! database made from a file generates exactly what the file does, and
//! every type the parser knows (MariaDB's JSON as `longtext ... CHECK
//! (json_valid(..))` included) reads the same way from both. PostgreSQL has
//! no such statement: its DDL is written here from the catalogue, with the
//! server's own spelling of each type, default, key and index
//! (`format_type`, `pg_get_expr`, `pg_get_constraintdef`,
//! `pg_get_indexdef`).

use globset::{Glob, GlobSet, GlobSetBuilder};
use sqlx::{Connection, MySqlConnection, PgConnection, Row};

use crate::ddl::Dialect;

#[derive(Debug, thiserror::Error)]
pub enum DatasourceError {
    #[error(
        "{0}: only mysql:// (MySQL and MariaDB) and postgres:// (PostgreSQL) datasources are read"
    )]
    Scheme(String),
    #[error("{0}: name the database, as mysql://user:pass@host:port/DB")]
    NoDatabase(String),
    #[error("--table {0}: {1}")]
    Glob(String, globset::Error),
    #[error("{url}: {source}")]
    Database { url: String, source: sqlx::Error },
    #[error("{url}: no table matches {globs}")]
    NoTable { url: String, globs: String },
    #[error("cannot start the client: {0}")]
    Runtime(std::io::Error),
}

/// A database's tables as DDL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The database's name.
    pub database: String,
    /// Where it was read, without the password: for messages.
    pub source: String,
    /// One `CREATE TABLE` per table, by name.
    pub ddl: String,
}

/// Read the tables of the database `url` names whose names match one of
/// `tables` (globs, `*` and `?`; every table when empty), from MySQL or
/// PostgreSQL by the URL's scheme.
pub fn read(url: &str, tables: &[String]) -> Result<Schema, DatasourceError> {
    match Dialect::of_url(url) {
        Some(Dialect::MySql) => read_mysql(url, tables),
        Some(Dialect::Postgres) => read_postgres(url, tables),
        None => Err(DatasourceError::Scheme(without_password(url))),
    }
}

/// The database a URL names, or the error that says to name one.
fn database_of(url: &str, source: &str) -> Result<String, DatasourceError> {
    url.split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| {
            path.split(['?', '/'])
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .filter(|db| !db.is_empty())
        .ok_or_else(|| DatasourceError::NoDatabase(source.to_string()))
}

fn client_runtime() -> Result<tokio::runtime::Runtime, DatasourceError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DatasourceError::Runtime)
}

/// What both readers share: the URL checked, the globs compiled, the DDL
/// read on a client runtime of its own, and a schema without tables
/// refused.
fn read_with(
    url: &str,
    tables: &[String],
    dialect: Dialect,
    ddl_of: impl AsyncFnOnce(&GlobSet) -> Result<String, sqlx::Error>,
) -> Result<Schema, DatasourceError> {
    let source = without_password(url);
    if Dialect::of_url(url) != Some(dialect) {
        return Err(DatasourceError::Scheme(source));
    }
    let database = database_of(url, &source)?;
    let wanted = globs(tables)?;
    let ddl =
        client_runtime()?
            .block_on(ddl_of(&wanted))
            .map_err(|e| DatasourceError::Database {
                url: source.clone(),
                source: e,
            })?;
    if !ddl.contains("CREATE TABLE") {
        return Err(DatasourceError::NoTable {
            url: source,
            globs: tables.join(" "),
        });
    }
    Ok(Schema {
        database,
        source,
        ddl,
    })
}

/// The tables of a MySQL or MariaDB database.
pub fn read_mysql(url: &str, tables: &[String]) -> Result<Schema, DatasourceError> {
    read_with(url, tables, Dialect::MySql, async |wanted| {
        let mut conn = MySqlConnection::connect(url).await?;
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
             ORDER BY TABLE_NAME",
        )
        .fetch_all(&mut conn)
        .await?;
        let mut ddl = format!(
            "-- The tables of {}, as the server writes them.\n",
            without_password(url)
        );
        for name in names
            .iter()
            .filter(|n| wanted.is_empty() || wanted.is_match(n))
        {
            // The name comes from the server's own catalogue; quoted as
            // an identifier all the same.
            let quoted = format!("`{}`", name.replace('`', "``"));
            let sql = sqlx::AssertSqlSafe(format!("SHOW CREATE TABLE {quoted}"));
            let row = sqlx::query(sql).fetch_one(&mut conn).await?;
            let create: String = row.try_get(1)?;
            ddl.push('\n');
            ddl.push_str(&create);
            ddl.push_str(";\n");
        }
        Ok(ddl)
    })
}

/// The tables of a PostgreSQL database (its current schema, `public`
/// unless the URL's options say otherwise), with the enum types they use,
/// their keys, indexes and column comments.
pub fn read_postgres(url: &str, tables: &[String]) -> Result<Schema, DatasourceError> {
    read_with(url, tables, Dialect::Postgres, async |wanted| {
        let mut conn = PgConnection::connect(url).await?;
        let mut ddl = format!(
            "-- The tables of {}, as its catalogue describes them.\n",
            without_password(url)
        );
        let enums: Vec<(String, Vec<String>)> = sqlx::query_as(
            "SELECT t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) \
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid \
             JOIN pg_namespace n ON n.oid = t.typnamespace \
             WHERE n.nspname = current_schema() GROUP BY t.typname ORDER BY t.typname",
        )
        .fetch_all(&mut conn)
        .await?;
        for (name, labels) in &enums {
            let labels: Vec<String> = labels.iter().map(|l| literal(l)).collect();
            ddl.push_str(&format!(
                "\nCREATE TYPE {} AS ENUM ({});\n",
                ident(name),
                labels.join(", ")
            ));
        }
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_class c \
             JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') \
             ORDER BY c.relname",
        )
        .fetch_all(&mut conn)
        .await?;
        for name in names
            .iter()
            .filter(|n| wanted.is_empty() || wanted.is_match(n))
        {
            ddl.push('\n');
            ddl.push_str(&postgres_table(&mut conn, name).await?);
        }
        Ok(ddl)
    })
}

/// One table's `CREATE TABLE`, its other indexes and its column comments.
async fn postgres_table(conn: &mut PgConnection, table: &str) -> Result<String, sqlx::Error> {
    // The table is named by its oid from here on: no name is ever
    // written into a statement.
    let oid: sqlx::postgres::types::Oid = sqlx::query_scalar(
        "SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = current_schema() AND c.relname = $1",
    )
    .bind(table)
    .fetch_one(&mut *conn)
    .await?;
    type ColumnRow = (String, String, bool, Option<String>, String, Option<String>);
    let columns: Vec<ColumnRow> = sqlx::query_as(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull, \
                pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, \
                col_description(a.attrelid, a.attnum) \
         FROM pg_attribute a \
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum \
         WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    let constraints: Vec<(String, String)> = sqlx::query_as(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = $1 AND contype IN ('p', 'u') ORDER BY contype, conname",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i \
         JOIN pg_class c ON c.oid = i.indexrelid \
         WHERE i.indrelid = $1 \
           AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
         ORDER BY c.relname",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await?;

    let mut lines = Vec::new();
    let mut comments = String::new();
    for (name, ty, not_null, default, identity, comment) in &columns {
        let mut line = format!("  {} ", ident(name));
        let serial = default
            .as_deref()
            .is_some_and(|d| d.starts_with("nextval("));
        // A serial column is an integer whose default takes the next
        // value of its own sequence: written back as the serial it was.
        match (serial, ty.as_str()) {
            (true, "smallint") => line.push_str("smallserial"),
            (true, "integer") => line.push_str("serial"),
            (true, "bigint") => line.push_str("bigserial"),
            _ => line.push_str(ty),
        }
        if *not_null {
            line.push_str(" NOT NULL");
        }
        match identity.as_str() {
            "a" => line.push_str(" GENERATED ALWAYS AS IDENTITY"),
            "d" => line.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
            _ => {}
        }
        if let Some(default) = default.as_deref().filter(|_| !serial) {
            line.push_str(" DEFAULT ");
            line.push_str(default);
        }
        lines.push(line);
        if let Some(comment) = comment {
            comments.push_str(&format!(
                "COMMENT ON COLUMN {}.{} IS {};\n",
                ident(table),
                ident(name),
                literal(comment)
            ));
        }
    }
    for (name, def) in &constraints {
        lines.push(format!("  CONSTRAINT {} {def}", ident(name)));
    }
    let mut ddl = format!(
        "CREATE TABLE {} (\n{}\n);\n",
        ident(table),
        lines.join(",\n")
    );
    for index in &indexes {
        ddl.push_str(index);
        ddl.push_str(";\n");
    }
    ddl.push_str(&comments);
    Ok(ddl)
}

/// A name from the catalogue as a PostgreSQL identifier: always quoted, so
/// a reserved word (`user`, `order`) or a capital reads back as it is.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A PostgreSQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn globs(patterns: &[String]) -> Result<GlobSet, DatasourceError> {
    let mut set = GlobSetBuilder::new();
    for p in patterns {
        set.add(Glob::new(p).map_err(|e| DatasourceError::Glob(p.clone(), e))?);
    }
    set.build()
        .map_err(|e| DatasourceError::Glob(patterns.join(" "), e))
}

/// `mysql://user:secret@host/db` → `mysql://user@host/db`.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user, host)) => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}")
        }
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_reaches_a_message() {
        assert_eq!(
            without_password("mysql://root:pw@127.0.0.1:3306/shop"),
            "mysql://root@127.0.0.1:3306/shop"
        );
        let e = read("redis://u:secret@h/db", &[]).unwrap_err().to_string();
        assert_eq!(
            e,
            "redis://u@h/db: only mysql:// (MySQL and MariaDB) and postgres:// (PostgreSQL) datasources are read"
        );
        let e = read_mysql("mysql://u:secret@h:1", &[])
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("name the database") && !e.contains("secret"),
            "{e}"
        );
        let e = read_mysql("mysql://u:secret@h:1/db", &["[".into()])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--table [: "), "{e}");
    }
}
