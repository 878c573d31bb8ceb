//! The few spellings in which Spark SQL and ClickHouse differ, and the
//! short list of rewrites that turn the SQL of `sql/views/` and
//! `sql/summaries/` (written in the subset that SQLite and DuckDB read
//! alike) into each engine's SQL. Everything else in those files means the
//! same in all four engines; a construct that does not, and that no rewrite
//! here handles, is refused by [`Engine::translate`], so a view that starts
//! using one fails the tests instead of drifting.
//!
//! The rewrites:
//! 1. Spark: `CAST(x AS TEXT)` becomes `CAST(x AS STRING)` (Spark has no
//!    TEXT type).
//! 2. Spark: `lower(x)` becomes an ASCII-only lower case (`translate`), as
//!    SQLite's and ClickHouse's `lower` are (Spark's is Unicode's).
//! 3. ClickHouse: `count(...)` becomes `CAST(count(...) AS BIGINT)`: its
//!    counts are unsigned, and unsigned with signed 64-bit integers have no
//!    common type (a UNION ALL of both would become a Variant).
//! 4. ClickHouse: `regexp_extract` and `regexp_replace` are spelled
//!    `regexpExtract` and `replaceRegexpAll`.
//!
//! Each ClickHouse view and table query also gets a `SETTINGS` clause, which
//! ClickHouse keeps with a view, so the view means the same in any session:
//! an alias does not hide the column it is named after
//! (`prefer_column_name_to_alias`), an outer join misses with NULL
//! (`join_use_nulls`), and a cast keeps NULL (`cast_keep_nullable`), as in
//! SQL.

use crate::choice::Choice;
use crate::timestamp::InputZone;

/// An engine `sessiondb sql` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// Spark SQL (spark-sql -f, or spark.sql statement by statement).
    Spark,
    /// ClickHouse (clickhouse-client --multiquery, or chdb).
    ClickHouse,
}

impl Choice for Engine {
    const ALL: &'static [Engine] = &[Engine::Spark, Engine::ClickHouse];

    fn name(self) -> &'static str {
        match self {
            Engine::Spark => "spark",
            Engine::ClickHouse => "clickhouse",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Engine::Spark => "Spark SQL (spark-sql -f)",
            Engine::ClickHouse => "ClickHouse (clickhouse-client --multiquery)",
        }
    }
}

/// What `SETTINGS` clause ClickHouse queries carry (see the module's
/// comment).
const CLICKHOUSE_SETTINGS: &str =
    "SETTINGS prefer_column_name_to_alias = 1, join_use_nulls = 1, cast_keep_nullable = 1";

/// SQLite constructs that mean something else, or nothing, in the engines,
/// and that no rewrite handles.
const REFUSED: &[&str] = &[
    "GLOB",
    "RECURSIVE",
    "strftime(",
    "julianday(",
    "date(",
    "datetime(",
    "iif(",
    "printf(",
    "total(",
    "typeof(",
    "group_concat(",
    "ifnull(",
    "instr(",
    "REGEXP",
];

impl Engine {
    pub fn title(self) -> &'static str {
        match self {
            Engine::Spark => "Spark SQL",
            Engine::ClickHouse => "ClickHouse",
        }
    }

    /// A string literal. Both engines read backslash escapes in literals,
    /// so backslashes are doubled; control characters are escaped so that
    /// no literal spans lines.
    pub fn literal(self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() + 2);
        out.push('\'');
        for c in text.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => match self {
                    Engine::Spark => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                    Engine::ClickHouse => {
                        let mut bytes = [0; 4];
                        for byte in c.encode_utf8(&mut bytes).bytes() {
                            out.push_str(&format!("\\x{byte:02x}"));
                        }
                    }
                },
                c => out.push(c),
            }
        }
        out.push('\'');
        out
    }

    /// `expr` as text (an integer in decimal).
    pub fn text(self, expr: &str) -> String {
        match self {
            Engine::Spark => format!("CAST({expr} AS STRING)"),
            Engine::ClickHouse => format!("toString({expr})"),
        }
    }

    /// The length of a text in bytes (UTF-8).
    pub fn byte_length(self, expr: &str) -> String {
        format!("octet_length({expr})")
    }

    /// The lower-case hex SHA-256 of a text's UTF-8 bytes.
    pub fn sha256_hex(self, expr: &str) -> String {
        match self {
            Engine::Spark => format!("sha2({expr}, 256)"),
            Engine::ClickHouse => format!("lower(hex(SHA256({expr})))"),
        }
    }

    /// A source column as text (NULL kept).
    pub fn cast_text(self, expr: &str) -> String {
        match self {
            Engine::Spark => format!("CAST({expr} AS STRING)"),
            Engine::ClickHouse => format!("CAST({expr} AS Nullable(String))"),
        }
    }

    /// A source column as a 64-bit integer (NULL kept).
    pub fn cast_bigint(self, expr: &str) -> String {
        match self {
            Engine::Spark => format!("CAST({expr} AS BIGINT)"),
            Engine::ClickHouse => format!("CAST({expr} AS Nullable(Int64))"),
        }
    }

    /// A source column as a double (NULL kept).
    pub fn cast_double(self, expr: &str) -> String {
        match self {
            Engine::Spark => format!("CAST({expr} AS DOUBLE)"),
            Engine::ClickHouse => format!("CAST({expr} AS Nullable(Float64))"),
        }
    }

    /// NULL as text.
    pub fn null_text(self) -> String {
        match self {
            Engine::Spark => "CAST(NULL AS STRING)".to_string(),
            Engine::ClickHouse => "CAST(NULL AS Nullable(String))".to_string(),
        }
    }

    /// The sum of `alias.revenue` over a group's events in their order
    /// (`alias.pos`), from 0, NULL counting 0: the double the Rust import
    /// adds up, to the last bit (a sum in another order may differ).
    pub fn ordered_revenue_sum(self, alias: &str) -> String {
        match self {
            Engine::Spark => format!(
                "aggregate(transform(array_sort(collect_list(named_struct('pos', {alias}.pos, 'revenue', {alias}.revenue))), item -> item.revenue), \
                 CAST(0 AS DOUBLE), (total, revenue) -> total + coalesce(revenue, CAST(0 AS DOUBLE)))"
            ),
            Engine::ClickHouse => format!(
                "arrayFold((total, item) -> total + ifNull(item.2, 0.), arraySort(groupArray((toUInt64({alias}.pos), {alias}.revenue))), toFloat64(0))"
            ),
        }
    }

    /// `a / b` rounded down, for integers (negative ones too), as BIGINT.
    pub fn floor_div(self, a: &str, b: i64) -> String {
        format!("CAST(floor(({a}) / {b}) AS BIGINT)")
    }

    /// The wall-clock time of the instant `ts_ms` in `zone`, as
    /// milliseconds since 1970-01-01T00:00 of that clock: the day and hour
    /// follow by integer arithmetic. A fixed offset is added as it is;
    /// a named zone's offset at the instant comes from the engine's time
    /// zone database.
    pub fn local_ms(self, ts_ms: &str, zone: InputZone) -> String {
        match zone {
            InputZone::Utc => ts_ms.to_string(),
            InputZone::Fixed(seconds) => format!("({ts_ms} + {})", i64::from(seconds) * 1000),
            InputZone::Named(tz) => {
                let name = self.literal(tz.name());
                match self {
                    // from_utc_timestamp reads the instant's local clock in
                    // the zone as if it were UTC; unix_millis reads it back.
                    Engine::Spark => format!(
                        "unix_millis(from_utc_timestamp(timestamp_millis({ts_ms}), {name}))"
                    ),
                    Engine::ClickHouse => format!(
                        "({ts_ms} + 1000 * timeZoneOffset(fromUnixTimestamp64Milli(assumeNotNull({ts_ms}), {name})))"
                    ),
                }
            }
        }
    }

    /// The date `YYYY-MM-DD` of a day number (days since 1970-01-01).
    pub fn day_text(self, day_number: &str) -> String {
        match self {
            Engine::Spark => {
                format!("CAST(date_from_unix_date(CAST({day_number} AS INT)) AS STRING)")
            }
            Engine::ClickHouse => {
                format!("toString(addDays(toDate32('1970-01-01'), {day_number}))")
            }
        }
    }

    /// Whether `expr` matches the regular expression `pattern` (given as
    /// text) anywhere.
    pub fn regex_match(self, expr: &str, pattern: &str) -> String {
        match self {
            Engine::Spark => format!("{expr} RLIKE {}", self.literal(pattern)),
            Engine::ClickHouse => format!("match({expr}, {})", self.literal(pattern)),
        }
    }

    /// `expr`, of a type that can hold NULL (ClickHouse's window functions
    /// give a type's default instead of NULL otherwise).
    pub fn nullable(self, expr: &str) -> String {
        match self {
            Engine::Spark => expr.to_string(),
            Engine::ClickHouse => format!("toNullable({expr})"),
        }
    }

    /// The statements that (re)create table `name` with the rows of `query`.
    pub fn create_table(self, name: &str, query: &str) -> Vec<String> {
        let create = match self {
            Engine::Spark => format!("CREATE TABLE {name} USING parquet AS\n{query}"),
            Engine::ClickHouse => format!(
                "CREATE TABLE {name} ENGINE = MergeTree ORDER BY tuple() AS\n{query}\n{CLICKHOUSE_SETTINGS}"
            ),
        };
        vec![self.drop_table(name), create]
    }

    /// The statement that (re)creates view `name` as `query`.
    pub fn create_view(self, name: &str, query: &str) -> String {
        match self {
            Engine::Spark => format!("CREATE OR REPLACE VIEW {name} AS\n{query}"),
            Engine::ClickHouse => {
                format!("CREATE OR REPLACE VIEW {name} AS\n{query}\n{CLICKHOUSE_SETTINGS}")
            }
        }
    }

    pub fn drop_table(self, name: &str) -> String {
        format!("DROP TABLE IF EXISTS {name}")
    }

    /// `sql` (of `sql/views/`, `sql/summaries/` or this module) in the
    /// engine's SQL, by the rewrites of the module's comment; an error names
    /// a construct that no rewrite handles.
    pub fn translate(self, sql: &str) -> Result<String, String> {
        let code = code_mask(sql);
        for construct in REFUSED {
            if find_code(sql, &code, construct, 0).is_some() {
                return Err(format!(
                    "{construct} has no translation for {}: write it in the subset every engine reads alike (src/engine_sql/dialect.rs)",
                    self.title()
                ));
            }
        }
        Ok(match self {
            Engine::Spark => {
                let sql = replace_code(sql, "AS TEXT)", "AS STRING)");
                wrap_calls(&sql, "lower", |args| {
                    format!(
                        "translate({args}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
                    )
                })
            }
            Engine::ClickHouse => {
                let sql = wrap_calls(sql, "count", |args| {
                    format!("CAST(count({args}) AS BIGINT)")
                });
                let sql = wrap_calls(&sql, "regexp_extract", |args| {
                    format!("regexpExtract({args})")
                });
                wrap_calls(&sql, "regexp_replace", |args| {
                    format!("replaceRegexpAll({args})")
                })
            }
        })
    }
}

/// For each byte of `sql`, whether it is code: not inside a string literal
/// (`'...'`, `''` for a quote) or a `--` comment.
fn code_mask(sql: &str) -> Vec<bool> {
    let bytes = sql.as_bytes();
    let mut mask = vec![true; bytes.len()];
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\'' => {
                let start = i;
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                let end = (i + 1).min(bytes.len());
                mask[start..end].iter_mut().for_each(|m| *m = false);
                i = end;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                let start = i;
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                mask[start..i].iter_mut().for_each(|m| *m = false);
            }
            _ => i += 1,
        }
    }
    mask
}

/// The first position at or after `from` where `needle` starts in code,
/// not inside a longer name when it begins with a letter.
fn find_code(sql: &str, code: &[bool], needle: &str, from: usize) -> Option<usize> {
    let word = needle.starts_with(|c: char| c.is_ascii_alphabetic());
    let mut at = from;
    while let Some(offset) = sql.get(at..)?.find(needle) {
        let start = at + offset;
        let before = sql[..start].chars().next_back();
        let inside_name =
            word && before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
        if code[start] && !inside_name {
            return Some(start);
        }
        at = start + needle.len();
    }
    None
}

fn replace_code(sql: &str, from: &str, to: &str) -> String {
    let code = code_mask(sql);
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    while let Some(start) = find_code(sql, &code, from, copied) {
        out.push_str(&sql[copied..start]);
        out.push_str(to);
        copied = start + from.len();
    }
    out.push_str(&sql[copied..]);
    out
}

/// Every call `name(args)` in code replaced by `wrap(args)`, the arguments
/// rewritten first (calls may nest).
fn wrap_calls(sql: &str, name: &str, wrap: impl Fn(&str) -> String + Copy) -> String {
    let code = code_mask(sql);
    let opening = format!("{name}(");
    let mut out = String::with_capacity(sql.len());
    let mut copied = 0;
    while let Some(start) = find_code(sql, &code, &opening, copied) {
        let args_start = start + opening.len();
        let Some(close) = matching_paren(sql, &code, args_start) else {
            break;
        };
        out.push_str(&sql[copied..start]);
        out.push_str(&wrap(&wrap_calls(&sql[args_start..close], name, wrap)));
        copied = close + 1;
    }
    out.push_str(&sql[copied..]);
    out
}

/// The position of the `)` closing the parenthesis opened just before
/// `from`.
fn matching_paren(sql: &str, code: &[bool], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, byte) in sql.bytes().enumerate().skip(from) {
        if !code[i] {
            continue;
        }
        match byte {
            b'(' => depth += 1,
            b')' if depth == 0 => return Some(i),
            b')' => depth -= 1,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_backslashes_and_line_breaks() {
        assert_eq!(Engine::Spark.literal("it's"), "'it''s'");
        assert_eq!(Engine::Spark.literal(r"a\.b"), r"'a\\.b'");
        assert_eq!(Engine::ClickHouse.literal("a\nb;"), r"'a\nb;'");
        assert_eq!(Engine::Spark.literal("\u{1}"), r"'\u0001'");
        assert_eq!(Engine::ClickHouse.literal("\u{85}"), r"'\xc2\x85'");
        assert_eq!(Engine::ClickHouse.literal("日本"), "'日本'");
    }

    #[test]
    fn spark_gets_string_casts_and_an_ascii_lower() -> Result<(), String> {
        let sql = "SELECT CAST(x AS TEXT), lower(CASE WHEN a <> '' THEN a ELSE lower(b) END) AS lowered, \
                   follower(c) -- lower(d) AS TEXT)\n FROM t WHERE e = 'lower(f)'";
        let spark = Engine::Spark.translate(sql)?;
        let ascii = "'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'";
        assert_eq!(
            spark,
            format!(
                "SELECT CAST(x AS STRING), translate(CASE WHEN a <> '' THEN a ELSE translate(b, {ascii}) END, {ascii}) AS lowered, \
                 follower(c) -- lower(d) AS TEXT)\n FROM t WHERE e = 'lower(f)'"
            )
        );
        // ClickHouse keeps both: TEXT is a name of String there, and its
        // lower is ASCII-only.
        assert!(Engine::ClickHouse.translate(sql)?.contains("lower(b)"));
        Ok(())
    }

    #[test]
    fn clickhouse_counts_are_signed_and_regexes_respelled() -> Result<(), String> {
        let sql = "SELECT count(*), count(DISTINCT (a)), account(b), regexp_replace(regexp_extract(c, 'x(', 1), '\\.', '') FROM t";
        assert_eq!(
            Engine::ClickHouse.translate(sql)?,
            "SELECT CAST(count(*) AS BIGINT), CAST(count(DISTINCT (a)) AS BIGINT), account(b), replaceRegexpAll(regexpExtract(c, 'x(', 1), '\\.', '') FROM t"
        );
        assert_eq!(Engine::Spark.translate(sql)?, sql);
        Ok(())
    }

    #[test]
    fn constructs_without_a_translation_are_refused() {
        for sql in [
            "SELECT 1 WHERE a GLOB 'x*'",
            "WITH RECURSIVE r AS (SELECT 1) SELECT * FROM r",
            "SELECT strftime('%w', day)",
            "SELECT date(day, '-6 days')",
        ] {
            for engine in [Engine::Spark, Engine::ClickHouse] {
                assert!(engine.translate(sql).is_err(), "{sql}");
            }
        }
        // In a literal or a comment they are text.
        assert!(
            Engine::Spark
                .translate("SELECT 'GLOB' -- date(x)\n")
                .is_ok()
        );
        // `update(` is not `date(`.
        assert!(Engine::Spark.translate("SELECT update(x)").is_ok());
    }
}
