//! The statement layer: getting one statement ready to plan, with what it reads loaded into
//! its own scope (see [`crate::delta`]'s statement reads), and planning the stored views it
//! reads as part of it.

mod statement;
mod views;

pub(crate) use statement::{Preparation, PreparedStatement};
pub(crate) use views::StatementViews;
