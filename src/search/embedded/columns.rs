//! Hits as a few attributes read from the index's columns ([`Fetch::Attributes`]): the
//! keyword (`k_`) and number (`n_`) fast fields every filterable and sortable
//! attribute has, shaped back into the JSON the document had. No stored document is read,
//! so ranking hundreds of candidates costs no doc-store decompression.
//!
//! [`Fetch::Attributes`]: crate::search::Fetch::Attributes

use std::collections::HashMap;

use serde_json::{Map, Value};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Searcher, SegmentReader};

use super::hits::Hit;
use super::internal;
use crate::search::{SearchResult, Shape};

/// The columns of one attribute in one segment (either may be absent: no value there).
struct Columns {
    strings: Option<StrColumn>,
    numbers: Option<Column<i64>>,
}

impl Columns {
    fn open(reader: &SegmentReader, name: &str) -> Columns {
        let ff = reader.fast_fields();
        Columns {
            strings: ff.str(&format!("k_{name}")).ok().flatten(),
            numbers: ff.column_opt::<i64>(&format!("n_{name}")).ok().flatten(),
        }
    }

    fn strings(&self, doc: DocId) -> SearchResult<Vec<String>> {
        let Some(col) = &self.strings else {
            return Ok(vec![]);
        };
        let mut out = Vec::new();
        for ord in col.term_ords(doc) {
            let mut buf = String::new();
            if col.ord_to_str(ord, &mut buf).map_err(internal)? {
                out.push(buf);
            }
        }
        Ok(out)
    }

    fn numbers(&self, doc: DocId) -> Vec<i64> {
        self.numbers
            .as_ref()
            .map(|c| c.values_for_doc(doc).collect())
            .unwrap_or_default()
    }

    fn value(&self, doc: DocId, shape: Shape) -> SearchResult<Value> {
        Ok(match shape {
            Shape::Str => self
                .strings(doc)?
                .into_iter()
                .next()
                .map_or(Value::Null, Value::String),
            Shape::Strs => Value::from(self.strings(doc)?),
            Shape::Int => self
                .numbers(doc)
                .first()
                .map_or(Value::Null, |n| Value::from(*n)),
            Shape::Ints => Value::from(self.numbers(doc)),
            Shape::Bool => match self.strings(doc)?.first().map(String::as_str) {
                Some("true") => Value::Bool(true),
                Some("false") => Value::Bool(false),
                _ => Value::Null,
            },
        })
    }
}

/// The page's hits as objects of the requested attributes only.
pub(super) fn attributes<'h>(
    searcher: &Searcher,
    page: impl Iterator<Item = &'h Hit>,
    attrs: &[(&str, Shape)],
) -> SearchResult<Vec<Value>> {
    let mut per_segment: HashMap<u32, Vec<Columns>> = HashMap::new();
    let mut out = Vec::new();
    for (seg, doc, _, _) in page {
        let columns = per_segment.entry(*seg).or_insert_with(|| {
            let reader = searcher.segment_reader(*seg);
            attrs
                .iter()
                .map(|(name, _)| Columns::open(reader, name))
                .collect()
        });
        let mut object = Map::new();
        for ((name, shape), col) in attrs.iter().zip(columns.iter()) {
            object.insert((*name).to_owned(), col.value(*doc, *shape)?);
        }
        out.push(Value::Object(object));
    }
    Ok(out)
}
