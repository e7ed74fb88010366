//! iotlabel-firmware: `iotlabel scan`. Identifies and unpacks firmware images in process into a
//! virtual tree (nothing is ever written to disk), then runs checks whose findings map to EN
//! 303 645 provisions. No external programs; every parser bounded by [`limits::Limits`].

pub mod checks;
pub mod extract;
pub mod limits;
pub mod scan;
pub mod unpack;
pub mod vfs;
