//! `gen model --datasource`: the schema of a live MySQL or MariaDB
//! database, as DDL the model generator reads like a file.
//!
//! goctl reads `information_schema` and rebuilds the columns from it. This
//! asks the server for `SHOW CREATE TABLE` instead: the server's own DDL of
//! each table, read by the same parser as a `.sql` file. So a database made
//! from a file generates exactly what the file does, and every type the
//! parser knows (MariaDB's JSON as `longtext ... CHECK (json_valid(..))`
//! included) reads the same way from both.

use globset::{Glob, GlobSet, GlobSetBuilder};
use sqlx::{Connection, MySqlConnection, Row};

#[derive(Debug, thiserror::Error)]
pub enum DatasourceError {
    #[error("{0}: only mysql:// datasources are read (MySQL and MariaDB)")]
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
/// `tables` (globs, `*` and `?`; every table when empty).
pub fn read_mysql(url: &str, tables: &[String]) -> Result<Schema, DatasourceError> {
    let source = without_password(url);
    if !url.starts_with("mysql://") {
        return Err(DatasourceError::Scheme(source));
    }
    let database = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| {
            path.split(['?', '/'])
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .filter(|db| !db.is_empty())
        .ok_or_else(|| DatasourceError::NoDatabase(source.clone()))?;
    let wanted = globs(tables)?;
    let db_err = |e| DatasourceError::Database {
        url: source.clone(),
        source: e,
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(DatasourceError::Runtime)?;
    let ddl = rt.block_on(async {
        let mut conn = MySqlConnection::connect(url).await.map_err(db_err)?;
        let names: Vec<String> = sqlx::query(
            "SELECT TABLE_NAME FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' \
             ORDER BY TABLE_NAME",
        )
        .fetch_all(&mut conn)
        .await
        .map_err(db_err)?
        .iter()
        .map(|row| row.try_get::<String, _>(0))
        .collect::<Result<_, _>>()
        .map_err(db_err)?;
        let mut ddl = format!("-- The tables of {source}, as the server writes them.\n");
        for name in names
            .iter()
            .filter(|n| wanted.is_empty() || wanted.is_match(n))
        {
            // The name comes from the server's own catalogue; quoted as
            // an identifier all the same.
            let quoted = format!("`{}`", name.replace('`', "``"));
            let sql = sqlx::AssertSqlSafe(format!("SHOW CREATE TABLE {quoted}"));
            let row = sqlx::query(sql)
                .fetch_one(&mut conn)
                .await
                .map_err(db_err)?;
            let create: String = row.try_get(1).map_err(db_err)?;
            ddl.push('\n');
            ddl.push_str(&create);
            ddl.push_str(";\n");
        }
        Ok::<_, DatasourceError>(ddl)
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
        let e = read_mysql("postgres://u:secret@h/db", &[])
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "postgres://u@h/db: only mysql:// datasources are read (MySQL and MariaDB)"
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
