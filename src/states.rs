//! Typed states stored as codes. [`code_enum!`] declares one: `ALL`, `as_str`, `parse`
//! (`None` for an unknown code, for input), `read` (for stored values: one that does not
//! parse is a broken row, an error, never silently a default), and serde as the code, so
//! the API, the database and the taxonomy share one spelling.

/// Declares a state enum stored as a code; see the module doc.
macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident => $code:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
            /// The codes, in order: what a field of this type accepts.
            pub const CODES: &'static [&'static str] = &[$($code),*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),* }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }

            pub fn read(s: &str) -> ::diesel::QueryResult<$name> {
                Self::parse(s).ok_or_else(|| {
                    ::diesel::result::Error::DeserializationError(
                        format!("unknown {} {s:?}", $what).into(),
                    )
                })
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <String as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&raw)
                    .ok_or_else(|| ::serde::de::Error::unknown_variant(&raw, Self::CODES))
            }
        }
    };
}
pub(crate) use code_enum;
