//! GUI-free logic of the desktop shell (`mcpproxy-tray`): the core's lifecycle inside the
//! app, a view of its state for the tray menu, the menu model and the menu's core actions.
//! The Tauri binary (`src-tauri/`) only renders these and opens windows/folders.

pub mod actions;
pub mod lifecycle;
pub mod menu;
pub mod urls;
pub mod view;

pub use actions::Action;
pub use lifecycle::{Phase, Shell};
pub use menu::Entry;
pub use view::{ServerView, View};
