//! The registry's running numbers (登记编号): `{year}{point}{sequence:06}`, e.g.
//! `2026610100000001`, consecutive per year and registry point. The sequence row is
//! incremented by an upsert inside the registering transaction: on PostgreSQL a
//! concurrent registration waits on the row until this one commits or rolls back, so
//! numbers never repeat and never skip; SQLite serialises writers anyway.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::AnyConnection;

#[derive(QueryableByName)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    last_seq: i64,
}

const UPSERT: &str = "INSERT INTO registry_sequences (year, point, last_seq) VALUES ({y}, {p}, 1) \
     ON CONFLICT (year, point) DO UPDATE SET last_seq = registry_sequences.last_seq + 1 \
     RETURNING last_seq";

/// The next registration number of `year` at registry point `point`.
pub fn next_number(conn: &mut AnyConnection, year: i32, point: &str) -> QueryResult<String> {
    let seq = match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::sql_query(UPSERT.replace("{y}", "$1").replace("{p}", "$2"))
                .bind::<Integer, _>(year)
                .bind::<Text, _>(point)
                .get_result::<Seq>(pg)?
        }
        AnyConnection::Sqlite(sq) => {
            diesel::sql_query(UPSERT.replace("{y}", "?").replace("{p}", "?"))
                .bind::<Integer, _>(year)
                .bind::<Text, _>(point)
                .get_result::<Seq>(sq)?
        }
    };
    Ok(format_number(year, point, seq.last_seq))
}

pub fn format_number(year: i32, point: &str, seq: i64) -> String {
    format!("{year:04}{point}{seq:06}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_have_sixteen_digits_until_a_million_a_year() {
        assert_eq!(super::format_number(2026, "610100", 7), "2026610100000007");
        assert_eq!(super::format_number(2026, "610100", 999_999).len(), 16);
    }
}
