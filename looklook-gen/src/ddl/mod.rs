//! MySQL and PostgreSQL `CREATE TABLE` DDL → tables, columns, keys and Rust
//! types, read with sqlparser. Errors are located (file, line, column, the
//! line).

use std::collections::{BTreeMap, BTreeSet};

use sqlparser::ast::{
    ColumnDef, ColumnOption, CommentObject, CreateTable, Expr, Ident, IndexColumn, ObjectName,
    Spanned, Statement, TableConstraint, UserDefinedTypeRepresentation,
};
use sqlparser::dialect::{Dialect as SqlDialect, MySqlDialect, PostgreSqlDialect};
use sqlparser::parser::Parser;

use crate::apidsl::{Diagnostic, Diagnostics, SourceFile, Span};

/// The database a DDL file (and the model generated from it) is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Dialect {
    #[default]
    MySql,
    Postgres,
}

impl Dialect {
    /// A table or column name, quoted as an identifier.
    pub fn quote(self, name: &str) -> String {
        match self {
            Dialect::MySql => format!("`{name}`"),
            Dialect::Postgres => format!("\"{name}\""),
        }
    }

    /// A statement written with `?` for each bound value, in the
    /// database's own marks: `?` for MySQL, `$1`, `$2`… for PostgreSQL.
    /// (Generated statements hold no other `?`: names are plain, values
    /// are bound.)
    pub fn numbered(self, sql: &str) -> String {
        match self {
            Dialect::MySql => sql.to_string(),
            Dialect::Postgres => {
                let mut out = String::with_capacity(sql.len() + 8);
                let mut n = 0;
                for c in sql.chars() {
                    if c == '?' {
                        n += 1;
                        out.push_str(&format!("${n}"));
                    } else {
                        out.push(c);
                    }
                }
                out
            }
        }
    }

    /// The name a datasource URL's scheme means.
    pub fn of_url(url: &str) -> Option<Dialect> {
        match url.split_once("://")?.0 {
            "mysql" | "mariadb" => Some(Dialect::MySql),
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            _ => None,
        }
    }
}

impl std::str::FromStr for Dialect {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "mysql" | "mariadb" => Ok(Dialect::MySql),
            "postgres" | "postgresql" | "pg" => Ok(Dialect::Postgres),
            other => Err(format!("`{other}` is not a dialect: use mysql or postgres")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub name: String,
    pub columns: Vec<Column>,
    /// The single-column primary key.
    pub primary_key: String,
    /// Unique keys, each one or more columns.
    pub unique_keys: Vec<Key>,
    /// Plain (non-unique) keys.
    pub keys: Vec<Key>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub columns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    /// As written in the DDL, upper-cased: `BIGINT UNSIGNED`, `VARCHAR(255)`.
    pub sql_type: String,
    /// The Rust type of a non-null value (of each element, for an array).
    pub rust_type: RustType,
    /// A PostgreSQL array of `rust_type`: `Vec<T>` in Rust.
    pub array: bool,
    /// The PostgreSQL enum type the column has: read as text, written
    /// with a cast to it.
    pub enum_type: Option<String>,
    /// `Option<T>` in Rust: the column accepts NULL.
    pub nullable: bool,
    pub auto_increment: bool,
    /// `DEFAULT CURRENT_TIMESTAMP`: the database fills it on insert.
    pub default_now: bool,
    /// `ON UPDATE CURRENT_TIMESTAMP`: the database fills it on update.
    pub on_update_now: bool,
    /// The default as written, when there is one.
    pub default: Option<String>,
    pub comment: Option<String>,
}

/// How a MySQL column type reads into Rust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RustType {
    Bool,
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    Decimal,
    String,
    Date,
    Time,
    DateTime,
    Timestamp,
    Json,
    Bytes,
    Uuid,
}

impl RustType {
    /// The type as written in generated code.
    pub fn path(self) -> &'static str {
        match self {
            RustType::Bool => "bool",
            RustType::I8 => "i8",
            RustType::U8 => "u8",
            RustType::I16 => "i16",
            RustType::U16 => "u16",
            RustType::I32 => "i32",
            RustType::U32 => "u32",
            RustType::I64 => "i64",
            RustType::U64 => "u64",
            RustType::F32 => "f32",
            RustType::F64 => "f64",
            RustType::Decimal => "rust_decimal::Decimal",
            RustType::String => "String",
            RustType::Date => "chrono::NaiveDate",
            RustType::Time => "chrono::NaiveTime",
            RustType::DateTime => "chrono::NaiveDateTime",
            RustType::Timestamp => "chrono::DateTime<chrono::Utc>",
            RustType::Json => "serde_json::Value",
            RustType::Bytes => "Vec<u8>",
            RustType::Uuid => "uuid::Uuid",
        }
    }
}

impl std::str::FromStr for RustType {
    type Err = String;

    /// A Rust type by the name a user writes in `[types]`: `i8`, `bool`,
    /// `String`, `Decimal`, `NaiveDateTime`… (the full paths work too).
    fn from_str(s: &str) -> Result<Self, String> {
        const ALL: [RustType; 20] = [
            RustType::Bool,
            RustType::I8,
            RustType::U8,
            RustType::I16,
            RustType::U16,
            RustType::I32,
            RustType::U32,
            RustType::I64,
            RustType::U64,
            RustType::F32,
            RustType::F64,
            RustType::Decimal,
            RustType::String,
            RustType::Date,
            RustType::Time,
            RustType::DateTime,
            RustType::Timestamp,
            RustType::Json,
            RustType::Bytes,
            RustType::Uuid,
        ];
        let short = |t: RustType| match t {
            RustType::Decimal => "Decimal",
            RustType::Date => "NaiveDate",
            RustType::Time => "NaiveTime",
            RustType::DateTime => "NaiveDateTime",
            RustType::Timestamp => "DateTime<Utc>",
            RustType::Json => "Value",
            RustType::Uuid => "Uuid",
            other => other.path(),
        };
        let wanted = s.trim();
        ALL.into_iter()
            .find(|&t| t.path() == wanted || short(t) == wanted)
            .ok_or_else(|| {
                let names: Vec<_> = ALL.into_iter().map(short).collect();
                format!(
                    "`{wanted}` is not a type looklook maps columns to; use one of {}",
                    names.join(", ")
                )
            })
    }
}

/// The user's choices of Rust type over the defaults of [`map_type`], as
/// goctl's `types_map`: by SQL type or by column. A column's choice wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeMap {
    /// By SQL type as written, upper-cased and without spaces: `TINYINT(1)`.
    pub types: BTreeMap<String, RustType>,
    /// By `table.column`.
    pub columns: BTreeMap<String, RustType>,
}

impl TypeMap {
    /// Add one choice: `"tinyint(1)" = "i8"` or `"order.trade_state" = "i8"`.
    pub fn insert(&mut self, key: &str, rust_type: &str) -> Result<(), String> {
        let ty = rust_type.parse()?;
        match key.split_once('.') {
            Some((table, column)) => {
                if !plain_name(table) || !plain_name(column) {
                    return Err(format!("`{key}` is neither an SQL type nor `table.column`"));
                }
                self.columns.insert(key.to_string(), ty);
            }
            None => {
                let sql = sql_key(key);
                if map_type(&sql).is_none() && map_pg_type(&sql).is_none() {
                    return Err(format!("`{key}` is not an SQL type looklook reads"));
                }
                self.types.insert(sql, ty);
            }
        }
        Ok(())
    }

    /// The chosen type of a column, if the user chose one.
    fn choice(&self, table: &str, column: &Column) -> Option<RustType> {
        self.columns
            .get(&format!("{table}.{}", column.name))
            .or_else(|| self.types.get(&sql_key(&column.sql_type)))
            .copied()
    }
}

/// An SQL type as a map key: upper-case, no spaces (`tinyint( 1 )` and
/// `TINYINT(1)` are one key).
fn sql_key(sql: &str) -> String {
    sql.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// The Rust type of a MySQL type, from its SQL spelling.
pub fn map_type(sql: &str) -> Option<RustType> {
    let upper = sql.to_ascii_uppercase();
    let unsigned = upper.contains("UNSIGNED");
    let name = upper.split(['(', ' ']).next().unwrap_or_default();
    let args = upper
        .split_once('(')
        .and_then(|(_, r)| r.split_once(')'))
        .map(|(a, _)| a.trim());
    let int = |signed, unsigned_ty| Some(if unsigned { unsigned_ty } else { signed });
    match name {
        // `tinyint(1)` is MySQL's boolean.
        "TINYINT" if args == Some("1") && !unsigned => Some(RustType::Bool),
        "BOOL" | "BOOLEAN" => Some(RustType::Bool),
        "TINYINT" => int(RustType::I8, RustType::U8),
        "SMALLINT" => int(RustType::I16, RustType::U16),
        "MEDIUMINT" | "INT" | "INTEGER" => int(RustType::I32, RustType::U32),
        "BIGINT" => int(RustType::I64, RustType::U64),
        "DECIMAL" | "NUMERIC" | "DEC" => Some(RustType::Decimal),
        "FLOAT" => Some(RustType::F32),
        "DOUBLE" | "REAL" => Some(RustType::F64),
        "CHAR" | "VARCHAR" | "TEXT" | "TINYTEXT" | "MEDIUMTEXT" | "LONGTEXT" | "ENUM" | "SET" => {
            Some(RustType::String)
        }
        "DATE" => Some(RustType::Date),
        "TIME" => Some(RustType::Time),
        "DATETIME" => Some(RustType::DateTime),
        "TIMESTAMP" => Some(RustType::Timestamp),
        "JSON" => Some(RustType::Json),
        "BINARY" | "VARBINARY" | "BLOB" | "TINYBLOB" | "MEDIUMBLOB" | "LONGBLOB" => {
            Some(RustType::Bytes)
        }
        _ => None,
    }
}

/// The Rust type of a PostgreSQL type, from its SQL spelling (an array's
/// element type for `T[]`), and whether the database numbers it itself
/// (`serial`).
pub fn map_pg_type(sql: &str) -> Option<(RustType, bool)> {
    let upper = sql.to_ascii_uppercase();
    // `VARCHAR(32)`, `NUMERIC(10,2)`, `TIMESTAMP(3) WITH TIME ZONE`: the
    // size says nothing about the Rust type.
    let mut name = String::new();
    let mut depth = 0;
    for c in upper.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ if depth == 0 => name.push(c),
            _ => {}
        }
    }
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let plain = |t| Some((t, false));
    match name.as_str() {
        "SMALLINT" | "INT2" => plain(RustType::I16),
        "INTEGER" | "INT" | "INT4" => plain(RustType::I32),
        "BIGINT" | "INT8" => plain(RustType::I64),
        "SMALLSERIAL" | "SERIAL2" => Some((RustType::I16, true)),
        "SERIAL" | "SERIAL4" => Some((RustType::I32, true)),
        "BIGSERIAL" | "SERIAL8" => Some((RustType::I64, true)),
        "NUMERIC" | "DECIMAL" | "DEC" => plain(RustType::Decimal),
        "REAL" | "FLOAT4" => plain(RustType::F32),
        "DOUBLE PRECISION" | "DOUBLE" | "FLOAT8" | "FLOAT" => plain(RustType::F64),
        "BOOLEAN" | "BOOL" => plain(RustType::Bool),
        "TEXT" | "VARCHAR" | "CHARACTER VARYING" | "CHAR" | "CHARACTER" | "BPCHAR" => {
            plain(RustType::String)
        }
        "DATE" => plain(RustType::Date),
        "TIME" | "TIME WITHOUT TIME ZONE" => plain(RustType::Time),
        "TIMESTAMP" | "TIMESTAMP WITHOUT TIME ZONE" => plain(RustType::DateTime),
        "TIMESTAMPTZ" | "TIMESTAMP WITH TIME ZONE" => plain(RustType::Timestamp),
        "UUID" => plain(RustType::Uuid),
        "JSON" | "JSONB" => plain(RustType::Json),
        "BYTEA" => plain(RustType::Bytes),
        _ => None,
    }
}

/// Read every `CREATE TABLE` of a MySQL file with the default types; other
/// statements are ignored.
pub fn parse(file: &SourceFile) -> Result<Vec<Table>, Diagnostics> {
    parse_with(file, &TypeMap::default()).map(|(tables, _)| tables)
}

/// Read every `CREATE TABLE` of a MySQL file, with the user's type choices.
/// The second list holds warnings: columns whose default reading may
/// surprise.
pub fn parse_with(
    file: &SourceFile,
    types: &TypeMap,
) -> Result<(Vec<Table>, Vec<Diagnostic>), Diagnostics> {
    parse_in(Dialect::MySql, file, types)
}

/// Read every `CREATE TABLE` of a file written for `dialect`, with the
/// user's type choices. For PostgreSQL, `CREATE TYPE … AS ENUM`,
/// `CREATE [UNIQUE] INDEX` and `COMMENT ON COLUMN` count too, and unquoted
/// names are folded to lower case, as the server folds them.
pub fn parse_in(
    dialect: Dialect,
    file: &SourceFile,
    types: &TypeMap,
) -> Result<(Vec<Table>, Vec<Diagnostic>), Diagnostics> {
    let parser: &dyn SqlDialect = match dialect {
        Dialect::MySql => &MySqlDialect {},
        Dialect::Postgres => &PostgreSqlDialect {},
    };
    let statements = Parser::parse_sql(parser, &file.text).map_err(|e| {
        let msg = e.to_string();
        let span = position(&msg).map_or(Span::default(), |(l, c)| offset(file, l, c));
        let msg = msg.trim_start_matches("sql parser error: ");
        let msg = msg.split(" at Line: ").next().unwrap_or(msg).to_string();
        Diagnostics(vec![file.error(span, msg)])
    })?;
    let at = |s: sqlparser::tokenizer::Span| {
        offset(file, s.start.line as usize, s.start.column as usize)
    };
    let enums: BTreeSet<String> = statements
        .iter()
        .filter_map(|s| match s {
            Statement::CreateType {
                name,
                representation: Some(UserDefinedTypeRepresentation::Enum { .. }),
            } => Some(last_name(name, dialect)),
            _ => None,
        })
        .collect();
    let mut tables = Vec::new();
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for statement in &statements {
        match statement {
            Statement::CreateTable(create) => {
                match table(file, dialect, &enums, create, types, &mut warnings) {
                    Ok(t) => tables.push(t),
                    Err(mut e) => errors.append(&mut e),
                }
            }
            // PostgreSQL keeps these outside the table's statement.
            Statement::CreateIndex(index) if dialect == Dialect::Postgres => {
                let table_name = last_name(&index.table_name, dialect);
                let Some(t) = tables
                    .iter_mut()
                    .find(|t: &&mut Table| t.name == table_name)
                else {
                    continue;
                };
                let key = Key {
                    name: index
                        .name
                        .as_ref()
                        .map(|n| last_name(n, dialect))
                        .unwrap_or_default(),
                    columns: index
                        .columns
                        .iter()
                        .map(|c| index_column(c, dialect))
                        .collect(),
                };
                if let Some(c) = key
                    .columns
                    .iter()
                    .find(|c| !t.columns.iter().any(|tc| &tc.name == *c))
                {
                    errors.push(file.error(at(index.table_name.span()), format!("index `{}` of table `{}` names column `{c}`, which the table does not have", key.name, t.name)));
                } else if index.predicate.is_some() {
                    // A partial unique index is unique only where its
                    // condition holds: no finder can rely on it.
                    t.keys.push(key);
                } else if index.unique {
                    t.unique_keys.push(key);
                } else {
                    t.keys.push(key);
                }
            }
            Statement::Comment {
                object_type: CommentObject::Column,
                object_name,
                comment,
                ..
            } if dialect == Dialect::Postgres => {
                let parts: Vec<String> = object_name
                    .0
                    .iter()
                    .filter_map(|p| p.as_ident().map(|i| fold(i, dialect)))
                    .collect();
                if let [.., table_name, column] = parts.as_slice()
                    && let Some(c) = tables
                        .iter_mut()
                        .filter(|t| &t.name == table_name)
                        .flat_map(|t| t.columns.iter_mut())
                        .find(|c| &c.name == column)
                {
                    c.comment = comment.clone();
                }
            }
            _ => {}
        }
    }
    if dialect == Dialect::Postgres {
        // A key can be written in the column, in the table or as a
        // separate index, and a live database lists them its own way: in
        // order of their columns, the model is the same from any of them.
        for t in &mut tables {
            t.unique_keys.sort_by(|a, b| a.columns.cmp(&b.columns));
            t.keys.sort_by(|a, b| a.columns.cmp(&b.columns));
        }
    }
    if errors.is_empty() {
        Ok((tables, warnings))
    } else {
        Err(Diagnostics(errors).sorted())
    }
}

/// A name as the server keeps it: PostgreSQL folds an unquoted one to
/// lower case.
fn fold(ident: &Ident, dialect: Dialect) -> String {
    match (dialect, ident.quote_style) {
        (Dialect::Postgres, None) => ident.value.to_ascii_lowercase(),
        _ => ident.value.clone(),
    }
}

/// The last part of `schema.name`, as the server keeps it.
fn last_name(name: &ObjectName, dialect: Dialect) -> String {
    name.0
        .last()
        .map(|p| match p.as_ident() {
            Some(ident) => fold(ident, dialect),
            None => p.to_string().trim_matches('`').to_string(),
        })
        .unwrap_or_default()
}

fn table(
    file: &SourceFile,
    dialect: Dialect,
    enums: &BTreeSet<String>,
    create: &CreateTable,
    types: &TypeMap,
    warnings: &mut Vec<Diagnostic>,
) -> Result<Table, Vec<Diagnostic>> {
    let name = last_name(&create.name, dialect);
    let at = |s: sqlparser::tokenizer::Span| {
        offset(file, s.start.line as usize, s.start.column as usize)
    };
    let table_at = at(create.name.span());
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    let mut primary: Vec<String> = Vec::new();
    let mut unique_keys = Vec::new();
    let mut keys = Vec::new();
    if !plain_name(&name) {
        errors.push(
            file.error(
                table_at,
                format!("table name `{name}` is not a letter followed by letters, digits and underscores"),
            )
            .with_help("looklook turns table names into Rust names; rename the table"),
        );
    }
    for def in &create.columns {
        if !plain_name(&fold(&def.name, dialect)) {
            errors.push(
                file.error(
                    at(def.name.span),
                    format!(
                        "column name `{}` is not letters, digits and underscores",
                        def.name.value
                    ),
                )
                .with_help("looklook turns column names into Rust names; rename the column"),
            );
            continue;
        }
        match column(def, dialect, enums) {
            Some((mut c, pk, unique)) => {
                match types.choice(&name, &c) {
                    Some(chosen) => c.rust_type = chosen,
                    // MySQL has no boolean: `tinyint(1)` is its spelling of
                    // one, but the column holds -128..127. Reading it as
                    // bool turns a state of 2 into `true`, so say so.
                    None if c.rust_type == RustType::Bool && c.sql_type.starts_with("TINYINT") => {
                        warnings.push(
                            file.error(at(def.name.span), format!(
                                "`{name}.{}` is tinyint(1) and reads as bool: any value but 0 becomes true",
                                c.name
                            ))
                            .with_help(format!(
                                "if it holds more than 0 and 1, choose its type: `\"{name}.{}\" = \"i8\"` in looklook.toml's [types] (or `--type {name}.{}=i8`); `\"tinyint(1)\" = \"bool\"` keeps bool and silences this",
                                c.name, c.name
                            ))
                            .as_warning(),
                        );
                    }
                    None => {}
                }
                if pk {
                    primary.push(c.name.clone());
                }
                if unique {
                    unique_keys.push(Key { name: c.name.clone(), columns: vec![c.name.clone()] });
                }
                columns.push(c);
            }
            None => errors.push(
                file.error(at(def.name.span), format!("column `{}` has a type looklook cannot map: {}", def.name.value, def.data_type))
                    .with_help(match dialect {
                        Dialect::MySql => "supported: integers, decimal, float/double, char/varchar/text/enum/set, date/time/datetime/timestamp, json, binary/blob",
                        Dialect::Postgres => "supported: smallint/integer/bigint and their serials, numeric, real/double precision, boolean, text/varchar/char, date/time/timestamp/timestamptz, uuid, json/jsonb, bytea, enum types, and arrays of the scalars among these (not of json, bytea or enums)",
                    }),
            ),
        }
    }
    for constraint in &create.constraints {
        match constraint {
            TableConstraint::PrimaryKey(pk) => {
                primary.extend(pk.columns.iter().map(|c| index_column(c, dialect)))
            }
            TableConstraint::Unique(u) => unique_keys.push(Key {
                name: u
                    .name
                    .as_ref()
                    .or(u.index_name.as_ref())
                    .map(|n| n.value.clone())
                    .unwrap_or_default(),
                columns: u.columns.iter().map(|c| index_column(c, dialect)).collect(),
            }),
            TableConstraint::Index(i) => keys.push(Key {
                name: i.name.as_ref().map(|n| n.value.clone()).unwrap_or_default(),
                columns: i.columns.iter().map(|c| index_column(c, dialect)).collect(),
            }),
            _ => {}
        }
    }
    // Every key names columns the table has, and no two columns read into
    // the same Rust field.
    // (Columns already reported as unreadable are not reported again here.)
    let known: std::collections::HashSet<String> = create
        .columns
        .iter()
        .map(|c| fold(&c.name, dialect))
        .collect();
    let key_lists = std::iter::once(("PRIMARY KEY", &primary))
        .chain(unique_keys.iter().map(|k| (k.name.as_str(), &k.columns)))
        .chain(keys.iter().map(|k| (k.name.as_str(), &k.columns)));
    for (key, cols) in key_lists {
        for c in cols.iter().filter(|c| !known.contains(c.as_str())) {
            errors.push(file.error(table_at, format!("key `{key}` of table `{name}` names column `{c}`, which the table does not have")));
        }
    }
    let mut fields = std::collections::HashMap::new();
    for c in &columns {
        if let Some(other) =
            fields.insert(crate::naming::snake_case(c.name.as_str()), c.name.as_str())
        {
            errors.push(file.error(table_at, format!("columns `{other}` and `{}` of table `{name}` would both be the Rust field `{}`", c.name, crate::naming::snake_case(c.name.as_str()))).with_help("rename one of them"));
        }
    }
    let primary_key = match primary.as_slice() {
        [one] => one.clone(),
        [] => {
            errors.push(file.error(table_at, format!("table `{name}` has no primary key")).with_help("looklook models need a single-column primary key, such as `id bigint AUTO_INCREMENT PRIMARY KEY`"));
            String::new()
        }
        many => {
            errors.push(file.error(table_at, format!("table `{name}` has a composite primary key ({})", many.join(", "))).with_help("looklook models support a single-column primary key; make the pair a UNIQUE KEY and add an `id` key"));
            String::new()
        }
    };
    if errors.is_empty() {
        Ok(Table {
            name,
            columns,
            primary_key,
            unique_keys,
            keys,
        })
    } else {
        Err(errors)
    }
}

/// A name that is safe both quoted in SQL and as a Rust identifier: it
/// starts with a letter and has only letters, digits and underscores.
fn plain_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A column, whether it is the primary key, and whether it is unique.
fn column(
    def: &ColumnDef,
    dialect: Dialect,
    enums: &BTreeSet<String>,
) -> Option<(Column, bool, bool)> {
    let sql_type = def.data_type.to_string().to_ascii_uppercase();
    let (mut rust_type, mut array, mut enum_type, mut auto_increment) =
        (RustType::String, false, None, false);
    match dialect {
        Dialect::MySql => rust_type = map_type(&sql_type)?,
        Dialect::Postgres => {
            let element = sql_type
                .strip_suffix("[]")
                .or_else(|| sql_type.strip_suffix(" ARRAY"));
            array = element.is_some();
            let element = element.unwrap_or(&sql_type);
            let custom = element.to_ascii_lowercase();
            if enums.contains(&custom) {
                enum_type = Some(custom);
            } else {
                let (t, serial) = map_pg_type(element)?;
                // Arrays of scalars only: no arrays of JSON or bytes.
                if array && (serial || matches!(t, RustType::Json | RustType::Bytes)) {
                    return None;
                }
                (rust_type, auto_increment) = (t, serial);
            }
            if array && enum_type.is_some() {
                return None;
            }
        }
    }
    let mut c = Column {
        name: fold(&def.name, dialect),
        sql_type,
        rust_type,
        array,
        enum_type,
        nullable: true,
        auto_increment,
        default_now: false,
        on_update_now: false,
        default: None,
        comment: None,
    };
    let (mut pk, mut unique) = (false, false);
    let is_now = |e: &Expr| {
        let s = e.to_string().to_ascii_uppercase();
        s.starts_with("CURRENT_TIMESTAMP") || s.starts_with("NOW(")
    };
    for opt in &def.options {
        match &opt.option {
            ColumnOption::NotNull => c.nullable = false,
            ColumnOption::Null => c.nullable = true,
            ColumnOption::Default(e) => {
                c.default_now = is_now(e);
                c.default = Some(e.to_string());
            }
            ColumnOption::OnUpdate(e) => c.on_update_now = is_now(e),
            ColumnOption::Comment(text) => c.comment = Some(text.clone()),
            // MariaDB keeps JSON as `longtext ... CHECK (json_valid(col))`,
            // and writes it so in `SHOW CREATE TABLE` and its dumps.
            ColumnOption::Check(check)
                if check
                    .expr
                    .to_string()
                    .to_ascii_uppercase()
                    .starts_with("JSON_VALID(") =>
            {
                c.rust_type = RustType::Json;
            }
            // PostgreSQL's `GENERATED … AS IDENTITY` (not a computed
            // column, which has an expression).
            ColumnOption::Generated {
                generation_expr: None,
                ..
            } => c.auto_increment = true,
            ColumnOption::PrimaryKey(_) => pk = true,
            ColumnOption::Unique(_) => unique = true,
            ColumnOption::DialectSpecific(tokens) => {
                let words = tokens
                    .iter()
                    .map(|t| t.to_string().to_ascii_uppercase())
                    .collect::<Vec<_>>()
                    .join(" ");
                c.auto_increment |= words.contains("AUTO_INCREMENT");
            }
            _ => {}
        }
    }
    // A primary key is never NULL.
    if pk {
        c.nullable = false;
    }
    Some((c, pk, unique))
}

fn index_column(ic: &IndexColumn, dialect: Dialect) -> String {
    match &ic.column.expr {
        Expr::Identifier(id) => fold(id, dialect),
        other => other.to_string().trim_matches('`').to_string(),
    }
}

/// `... at Line: 3, Column: 5` in a sqlparser message.
fn position(msg: &str) -> Option<(usize, usize)> {
    let rest = msg.split("Line: ").nth(1)?;
    let (line, rest) = rest.split_once(", Column: ")?;
    let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, col.parse().ok()?))
}

/// The byte span of a 1-based line and column.
fn offset(file: &SourceFile, line: usize, col: usize) -> Span {
    let text: &str = &file.text;
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>();
    let line_text = text[start.min(text.len())..]
        .lines()
        .next()
        .unwrap_or_default();
    let at = start
        + line_text
            .char_indices()
            .nth(col.saturating_sub(1))
            .map_or(line_text.len(), |(i, _)| i);
    let end = (at + 1).min(text.len()).max(at);
    Span::new(at.min(text.len()), end)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USERCENTER: &str = "
-- looklook_usercenter
CREATE TABLE `user` (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `create_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  `update_time` datetime NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  `del_state` tinyint NOT NULL DEFAULT '0',
  `version` bigint NOT NULL DEFAULT '0' COMMENT 'optimistic lock',
  `mobile` char(11) NOT NULL DEFAULT '',
  `sex` tinyint(1) NOT NULL DEFAULT '0' COMMENT '0 male, 1 female',
  `balance` decimal(10,2) DEFAULT NULL,
  `points` int unsigned NOT NULL DEFAULT '0',
  `extra` json,
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_mobile` (`mobile`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='users';

CREATE TABLE `user_auth` (
  `id` bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
  `user_id` bigint NOT NULL DEFAULT '0',
  `auth_key` varchar(64) NOT NULL DEFAULT '',
  `auth_type` varchar(12) NOT NULL DEFAULT '',
  UNIQUE KEY `idx_type_key` (`auth_type`,`auth_key`) USING BTREE,
  KEY `idx_user` (`user_id`)
) ENGINE=InnoDB;
";

    fn tables(sql: &str) -> Result<Vec<Table>, Vec<String>> {
        parse(&SourceFile::new("t.sql", sql)).map_err(|d| d.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn reads_columns_keys_and_types() {
        let t = tables(USERCENTER).unwrap();
        let user = &t[0];
        assert_eq!(
            (user.name.as_str(), user.primary_key.as_str()),
            ("user", "id")
        );
        let ty = |n: &str| {
            user.columns
                .iter()
                .find(|c| c.name == n)
                .map(|c| (c.rust_type.path(), c.nullable))
                .unwrap()
        };
        assert_eq!(ty("id"), ("i64", false));
        assert_eq!(ty("sex"), ("bool", false));
        assert_eq!(ty("del_state"), ("i8", false));
        assert_eq!(ty("balance"), ("rust_decimal::Decimal", true));
        assert_eq!(ty("points"), ("u32", false));
        assert_eq!(ty("extra"), ("serde_json::Value", true));
        assert_eq!(ty("create_time"), ("chrono::NaiveDateTime", false));
        let col = |n: &str| user.columns.iter().find(|c| c.name == n).unwrap();
        assert!(col("id").auto_increment);
        assert!(col("create_time").default_now && !col("create_time").on_update_now);
        assert!(col("update_time").on_update_now);
        assert_eq!(col("version").comment.as_deref(), Some("optimistic lock"));
        assert_eq!(
            user.unique_keys,
            [Key {
                name: "idx_mobile".into(),
                columns: vec!["mobile".into()]
            }]
        );

        let auth = &t[1];
        assert_eq!(auth.primary_key, "id");
        assert_eq!(auth.unique_keys[0].columns, ["auth_type", "auth_key"]);
        assert_eq!(auth.keys[0].name, "idx_user");
    }

    #[test]
    fn errors_are_located() {
        let e =
            tables("CREATE TABLE a (\n  id bigint,\n  name varchar(10) NOT NULLL\n);").unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(e[0].starts_with("t.sql:3:"), "{e:?}");

        let e = tables("CREATE TABLE nokey (\n  name varchar(10)\n);\nCREATE TABLE pair (\n  a int, b int,\n  PRIMARY KEY (a, b)\n);").unwrap_err();
        assert_eq!(
            e,
            [
                "t.sql:1:14: table `nokey` has no primary key",
                "t.sql:4:14: table `pair` has a composite primary key (a, b)"
            ]
        );

        let e = tables(
            "CREATE TABLE k (\n  id bigint,\n  userId int,\n  user_id int,\n  PRIMARY KEY (idd),\n  UNIQUE KEY u (nope)\n);",
        )
        .unwrap_err();
        assert_eq!(
            e,
            [
                "t.sql:1:14: key `PRIMARY KEY` of table `k` names column `idd`, which the table does not have",
                "t.sql:1:14: key `u` of table `k` names column `nope`, which the table does not have",
                "t.sql:1:14: columns `userId` and `user_id` of table `k` would both be the Rust field `user_id`",
            ]
        );

        let e =
            tables("CREATE TABLE g (\n  id bigint PRIMARY KEY,\n  shape geometry\n);").unwrap_err();
        assert_eq!(e.len(), 1);
        assert!(
            e[0].starts_with("t.sql:3:3: column `shape` has a type looklook cannot map"),
            "{e:?}"
        );
    }

    const STATES: &str = "CREATE TABLE `order` (\n  id bigint PRIMARY KEY,\n  trade_state tinyint(1) NOT NULL,\n  need_food tinyint(1) NOT NULL,\n  paid bool NOT NULL\n);";

    fn read(types: &TypeMap) -> (Vec<(String, RustType)>, Vec<String>) {
        read_text("o.sql", STATES, types)
    }

    /// The first table's columns and their Rust types, and the warnings.
    fn read_text(
        name: &str,
        text: &str,
        types: &TypeMap,
    ) -> (Vec<(String, RustType)>, Vec<String>) {
        let (tables, warnings) = parse_with(&SourceFile::new(name, text), types).unwrap();
        let columns = tables[0]
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.rust_type))
            .collect();
        (columns, warnings.iter().map(|w| w.to_string()).collect())
    }

    #[test]
    fn tinyint_1_reads_as_bool_with_a_warning_naming_the_column() {
        let (columns, warnings) = read(&TypeMap::default());
        assert_eq!(columns[1], ("trade_state".into(), RustType::Bool));
        assert_eq!(
            warnings,
            [
                "o.sql:3:3: `order.trade_state` is tinyint(1) and reads as bool: any value but 0 becomes true",
                "o.sql:4:3: `order.need_food` is tinyint(1) and reads as bool: any value but 0 becomes true",
            ]
        );
        // A column declared bool is a boolean: nothing to say.
        assert_eq!(columns[3], ("paid".into(), RustType::Bool));
    }

    #[test]
    fn the_users_type_choices_win_column_first() {
        let mut types = TypeMap::default();
        types.insert("TinyInt( 1 )", "bool").unwrap();
        types.insert("order.trade_state", "i8").unwrap();
        let (columns, warnings) = read(&types);
        assert_eq!(columns[1], ("trade_state".into(), RustType::I8));
        assert_eq!(columns[2], ("need_food".into(), RustType::Bool));
        assert!(warnings.is_empty(), "{warnings:?}");

        let mut types = TypeMap::default();
        types.insert("tinyint(1)", "i8").unwrap();
        types.insert("bigint", "u64").unwrap();
        let (columns, warnings) = read(&types);
        assert_eq!(columns[0], ("id".into(), RustType::U64));
        assert_eq!(columns[2], ("need_food".into(), RustType::I8));
        assert!(warnings.is_empty());
    }

    #[test]
    fn mariadbs_json_reads_as_json() {
        // `SHOW CREATE TABLE` and mysqldump write MariaDB's JSON so.
        let (columns, _) = read_text(
            "t.sql",
            "CREATE TABLE t (\n  id bigint(20) NOT NULL AUTO_INCREMENT,\n  extra longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(`extra`)),\n  note longtext,\n  PRIMARY KEY (id)\n) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4;",
            &TypeMap::default(),
        );
        assert_eq!(
            columns,
            [
                ("id".into(), RustType::I64),
                ("extra".into(), RustType::Json),
                ("note".into(), RustType::String)
            ]
        );
    }

    #[test]
    fn a_type_choice_that_names_nothing_is_an_error() {
        let mut types = TypeMap::default();
        let e = types.insert("tinyint(1)", "int8").unwrap_err();
        assert!(
            e.starts_with("`int8` is not a type looklook maps columns to; use one of bool, i8"),
            "{e}"
        );
        let e = types.insert("geometry", "i8").unwrap_err();
        assert_eq!(e, "`geometry` is not an SQL type looklook reads");
        let e = types.insert("order.trade state", "i8").unwrap_err();
        assert_eq!(
            e,
            "`order.trade state` is neither an SQL type nor `table.column`"
        );
        // Full paths and short names both name a type.
        assert_eq!("chrono::NaiveDateTime".parse(), Ok(RustType::DateTime));
        assert_eq!("Decimal".parse(), Ok(RustType::Decimal));
    }

    fn pg(sql: &str) -> Result<Vec<Table>, Vec<String>> {
        parse_in(
            Dialect::Postgres,
            &SourceFile::new("pg.sql", sql),
            &TypeMap::default(),
        )
        .map(|(tables, _)| tables)
        .map_err(|d| d.iter().map(|e| e.to_string()).collect())
    }

    #[test]
    fn postgres_types_keys_enums_and_comments() {
        let t = pg("
CREATE TYPE Mood AS ENUM ('sad', 'ok');
CREATE TABLE \"Order\" (
  Id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
  n serial, s smallint, i int4, r real, d double precision, m numeric(12, 2),
  b boolean, v varchar(8), c char(2), t text, day date, at time,
  local timestamp(3), utc timestamptz, u uuid, j jsonb, raw bytea,
  mood mood NOT NULL DEFAULT 'ok', tags text[], nums integer ARRAY,
  made timestamp NOT NULL DEFAULT now(),
  CONSTRAINT k UNIQUE (u)
);
CREATE UNIQUE INDEX ON \"Order\" (v, c);
CREATE UNIQUE INDEX part ON \"Order\" (t) WHERE b;
COMMENT ON COLUMN \"Order\".mood IS 'how it went';
")
        .unwrap();
        let order = &t[0];
        assert_eq!(order.name, "Order", "a quoted name keeps its case");
        assert_eq!(order.primary_key, "id", "an unquoted one is folded");
        let of = |name: &str| order.columns.iter().find(|c| c.name == name).unwrap();
        let types: Vec<(&str, RustType, bool)> = order
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.rust_type, c.array))
            .collect();
        use RustType::*;
        assert_eq!(
            types,
            [
                ("id", I64, false),
                ("n", I32, false),
                ("s", I16, false),
                ("i", I32, false),
                ("r", F32, false),
                ("d", F64, false),
                ("m", Decimal, false),
                ("b", Bool, false),
                ("v", String, false),
                ("c", String, false),
                ("t", String, false),
                ("day", Date, false),
                ("at", Time, false),
                ("local", DateTime, false),
                ("utc", Timestamp, false),
                ("u", Uuid, false),
                ("j", Json, false),
                ("raw", Bytes, false),
                ("mood", String, false),
                ("tags", String, true),
                ("nums", I32, true),
                ("made", DateTime, false),
            ]
        );
        assert!(of("id").auto_increment && of("n").auto_increment);
        assert!(!of("s").auto_increment);
        assert_eq!(of("mood").enum_type.as_deref(), Some("mood"));
        assert_eq!(of("mood").comment.as_deref(), Some("how it went"));
        assert!(of("made").default_now && !of("made").nullable);
        // Unique keys in column order, whatever statement wrote them; a
        // partial unique index is only an index.
        let uniques: Vec<&[std::string::String]> =
            order.unique_keys.iter().map(|k| &k.columns[..]).collect();
        assert_eq!(uniques, [&["u".to_string()][..], &["v".into(), "c".into()]]);
        assert_eq!(order.keys[0].columns, ["t"]);
    }

    #[test]
    fn postgres_errors_are_located() {
        let e = pg(
            "CREATE TABLE g (\n  id bigserial PRIMARY KEY,\n  shape point,\n  blobs bytea[]\n);",
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("pg.sql:3:3: column `shape` has a type looklook cannot map: point"),
            "{e:?}"
        );
        assert!(e[1].starts_with("pg.sql:4:3: column `blobs`"), "{e:?}");
        let e = pg("CREATE TABLE a (\n  id int PRIMARY KEY\n);\nCREATE INDEX i ON a (nope);")
            .unwrap_err();
        assert_eq!(
            e,
            [
                "pg.sql:4:19: index `i` of table `a` names column `nope`, which the table does not have"
            ]
        );
        let e = pg("CREATE TABLE a (\n  id int PRIMARY KEY,\n  n int NOT NULLL\n);").unwrap_err();
        assert!(e[0].starts_with("pg.sql:3:"), "{e:?}");
    }

    #[test]
    fn dialects_by_name_and_url_and_their_marks() {
        assert_eq!("postgres".parse(), Ok(Dialect::Postgres));
        assert_eq!("MySQL".parse(), Ok(Dialect::MySql));
        assert!("oracle".parse::<Dialect>().is_err());
        assert_eq!(
            Dialect::of_url("postgresql://u@h/db"),
            Some(Dialect::Postgres)
        );
        assert_eq!(Dialect::of_url("mysql://u@h/db"), Some(Dialect::MySql));
        assert_eq!(Dialect::of_url("redis://h"), None);
        assert_eq!(
            Dialect::Postgres.numbered("a = ? AND b = ?::\"k\""),
            "a = $1 AND b = $2::\"k\""
        );
        assert_eq!(Dialect::MySql.numbered("a = ?"), "a = ?");
    }
}
