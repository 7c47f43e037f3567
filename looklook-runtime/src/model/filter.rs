//! A filter for custom queries that cannot inject SQL: columns come from the
//! generated column enum, operators from this file, and every value is a
//! bound parameter.

use std::marker::PhantomData;

use sqlx::query::{QueryAs, QueryScalar};
use sqlx::{Arguments, AssertSqlSafe, Encode, FromRow, MySql, Type};

use super::Backend;

/// A column of a generated table. The name comes quoted (`` `mobile` `` or
/// `"mobile"`) from the DDL, never from user input.
pub trait Column: Copy {
    fn quoted(self) -> &'static str;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Asc,
    Desc,
}

/// A value a filter can bind for database `DB`.
pub trait Value<DB: Backend>: for<'q> Encode<'q, DB> + Type<DB> {}
impl<DB: Backend, T: for<'q> Encode<'q, DB> + Type<DB>> Value<DB> for T {}

/// Conditions joined with `AND`, an order and a limit, for a table of
/// database `DB` (MySQL unless the model says otherwise).
///
/// ```ignore
/// let rows = users
///     .find_all(Filter::new().eq(UserColumn::Sex, 1).like(UserColumn::Nickname, "li%"))
///     .await?;
/// ```
#[derive(Debug, Clone)]
pub struct Filter<C, DB: Backend = MySql> {
    conditions: Vec<String>,
    args: DB::Arguments,
    /// The first value that failed to encode; reported when the query runs.
    bad_value: Option<String>,
    order: Vec<(C, Order)>,
    limit: Option<u64>,
    offset: Option<u64>,
    _columns: PhantomData<C>,
}

impl<C: Column, DB: Backend> Default for Filter<C, DB> {
    fn default() -> Self {
        Filter {
            conditions: Vec::new(),
            args: DB::Arguments::default(),
            bad_value: None,
            order: Vec::new(),
            limit: None,
            offset: None,
            _columns: PhantomData,
        }
    }
}

impl<C: Column, DB: Backend> Filter<C, DB>
where
    i64: Value<DB>,
    String: Value<DB>,
{
    /// A filter that matches every (live) row.
    pub fn new() -> Self {
        Self::default()
    }

    pub fn eq(self, column: C, value: impl Value<DB>) -> Self {
        self.compare(column, "=", value)
    }

    pub fn ne(self, column: C, value: impl Value<DB>) -> Self {
        self.compare(column, "<>", value)
    }

    pub fn lt(self, column: C, value: impl Value<DB>) -> Self {
        self.compare(column, "<", value)
    }

    pub fn le(self, column: C, value: impl Value<DB>) -> Self {
        self.compare(column, "<=", value)
    }

    pub fn gt(self, column: C, value: impl Value<DB>) -> Self {
        self.compare(column, ">", value)
    }

    pub fn ge(self, column: C, value: impl Value<DB>) -> Self {
        self.compare(column, ">=", value)
    }

    /// `LIKE` with the pattern bound as a value: `%` and `_` in it are
    /// wildcards, nothing in it is SQL.
    pub fn like(self, column: C, pattern: impl Into<String>) -> Self {
        self.compare(column, "LIKE", pattern.into())
    }

    pub fn is_null(mut self, column: C) -> Self {
        self.conditions.push(format!("{} IS NULL", column.quoted()));
        self
    }

    pub fn is_not_null(mut self, column: C) -> Self {
        self.conditions
            .push(format!("{} IS NOT NULL", column.quoted()));
        self
    }

    /// `column IN (…)`; an empty list matches nothing.
    pub fn any_of<T: Value<DB>>(mut self, column: C, values: impl IntoIterator<Item = T>) -> Self {
        let mut marks = Vec::new();
        for value in values {
            marks.push(self.bind(value));
        }
        if marks.is_empty() {
            self.conditions.push("FALSE".to_string());
        } else {
            let list = marks.join(", ");
            self.conditions
                .push(format!("{} IN ({list})", column.quoted()));
        }
        self
    }

    pub fn order_by(mut self, column: C, order: Order) -> Self {
        self.order.push((column, order));
        self
    }

    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = Some(offset);
        self
    }

    /// Whether an order was set; paging adds the default order only when not.
    pub fn has_order(&self) -> bool {
        !self.order.is_empty()
    }

    /// `head WHERE <always> AND <conditions> ORDER BY … LIMIT ? OFFSET ?`, as
    /// a query reading rows of `O`. `head` is the generated
    /// `SELECT … FROM …`; `always` is a condition every query of the table
    /// carries (the soft-delete one), or `""`. Fails when a value did not
    /// encode.
    pub fn select<O>(
        self,
        head: &'static str,
        always: &'static str,
    ) -> Result<QueryAs<'static, DB, O, DB::Arguments>, sqlx::Error>
    where
        O: for<'r> FromRow<'r, DB::Row>,
    {
        let (sql, args) = self.statement(head, always, true);
        Ok(sqlx::query_as_with(AssertSqlSafe(sql), args?))
    }

    /// `SELECT COUNT(*) …` with the same conditions (order and limit are
    /// ignored).
    pub fn count(
        self,
        head: &'static str,
        always: &'static str,
    ) -> Result<QueryScalar<'static, DB, i64, DB::Arguments>, sqlx::Error>
    where
        (i64,): for<'r> FromRow<'r, DB::Row>,
    {
        let (sql, args) = self.statement(head, always, false);
        Ok(sqlx::query_scalar_with(AssertSqlSafe(sql), args?))
    }

    /// The statement text and its arguments. The text is built only from
    /// `head`, `always`, quoted column names, fixed keywords and the
    /// database's placeholders (`?`, or `$1`, `$2`… in PostgreSQL).
    fn statement(
        mut self,
        head: &str,
        always: &str,
        tail: bool,
    ) -> (String, Result<DB::Arguments, sqlx::Error>) {
        let mut sql = String::from(head);
        let conditions = (!always.is_empty())
            .then_some(always)
            .into_iter()
            .chain(self.conditions.iter().map(String::as_str));
        for (i, condition) in conditions.enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(condition);
        }
        if tail {
            for (i, (column, order)) in self.order.iter().enumerate() {
                sql.push_str(if i == 0 { " ORDER BY " } else { ", " });
                sql.push_str(column.quoted());
                sql.push_str(match order {
                    Order::Asc => " ASC",
                    Order::Desc => " DESC",
                });
            }
            // Bound as i64: PostgreSQL has no unsigned integers. Both are
            // far below i64::MAX (see `MAX_OFFSET`), and larger ones clamp.
            let signed = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            if let Some(limit) = self.limit {
                let mark = self.bind(signed(limit));
                sql.push_str(" LIMIT ");
                sql.push_str(&mark);
                if let Some(offset) = self.offset {
                    let mark = self.bind(signed(offset));
                    sql.push_str(" OFFSET ");
                    sql.push_str(&mark);
                }
            }
        }
        let args = match self.bad_value {
            Some(error) => Err(sqlx::Error::Encode(error.into())),
            None => Ok(self.args),
        };
        (sql, args)
    }

    fn compare(mut self, column: C, op: &str, value: impl Value<DB>) -> Self {
        let mark = self.bind(value);
        self.conditions
            .push(format!("{} {op} {mark}", column.quoted()));
        self
    }

    /// Bind a value; its placeholder in the statement.
    fn bind(&mut self, value: impl Value<DB>) -> String {
        if let Err(e) = self.args.add(value)
            && self.bad_value.is_none()
        {
            self.bad_value = Some(e.to_string());
        }
        let mut mark = String::new();
        // Writing to a String cannot fail.
        let _ = self.args.format_placeholder(&mut mark);
        mark
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy)]
    enum Col {
        Id,
        Name,
    }

    impl Column for Col {
        fn quoted(self) -> &'static str {
            match self {
                Col::Id => "`id`",
                Col::Name => "`name`",
            }
        }
    }

    #[test]
    fn values_are_placeholders_and_columns_are_quoted() {
        let filter = Filter::<Col>::new()
            .eq(Col::Name, "x' OR 1=1 --")
            .any_of(Col::Id, [1i64, 2, 3])
            .order_by(Col::Id, Order::Desc)
            .limit(10)
            .offset(20);
        let (sql, args) = filter.statement("SELECT * FROM `t`", "`del_state` = 0", true);
        assert_eq!(
            sql,
            "SELECT * FROM `t` WHERE `del_state` = 0 AND `name` = ? AND `id` IN (?, ?, ?) \
             ORDER BY `id` DESC LIMIT ? OFFSET ?"
        );
        assert_eq!(args.unwrap().len(), 6);
    }

    #[test]
    fn an_empty_list_matches_nothing_and_count_has_no_tail() {
        let filter = Filter::<Col>::new()
            .any_of(Col::Id, Vec::<i64>::new())
            .limit(5);
        let (sql, args) = filter.statement("SELECT COUNT(*) FROM `t`", "", false);
        assert_eq!(sql, "SELECT COUNT(*) FROM `t` WHERE FALSE");
        assert_eq!(args.unwrap().len(), 0);
    }

    #[test]
    fn postgres_placeholders_are_numbered_in_order() {
        let filter = Filter::<Col, sqlx::Postgres>::new()
            .eq(Col::Name, "x")
            .any_of(Col::Id, [1i64, 2])
            .order_by(Col::Id, Order::Asc)
            .limit(10)
            .offset(20);
        let (sql, args) = filter.statement(r#"SELECT * FROM "t""#, "", true);
        assert_eq!(
            sql,
            r#"SELECT * FROM "t" WHERE `name` = $1 AND `id` IN ($2, $3) ORDER BY `id` ASC LIMIT $4 OFFSET $5"#
        );
        assert_eq!(args.unwrap().len(), 5);
    }
}
