//! Pure domain types: parsed once at the edge, trusted everywhere else. No I/O, no web, no SQL.

/// An enum stored and exchanged as text, with aliases and a parse error naming the field.
macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($(#[$vdoc:meta])* $variant:ident = $text:literal $(| $alias:literal)*),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored spelling or one of its aliases.
            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                match raw.trim() {
                    $($text $(| $alias)* => Ok($name::$variant),)+
                    other => Err(ValidationError::new(
                        $field,
                        format!("'{}' is not one of: {}", other, [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> { Self::parse(&value) }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self { value.as_str().to_string() }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}

pub mod answer_link;
pub mod application;
pub mod call;
pub mod discipline;
pub mod event;
pub mod expert;
pub mod ids;
pub mod invitation;
pub mod membership;
pub mod organization;
pub mod tracking;
pub mod user;
pub mod validation;

pub use discipline::DisciplineCode;
pub use ids::{ExpertId, UserId};
pub use validation::ValidationError;
