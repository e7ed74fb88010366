//! iotlabel-formats: wire formats people already use, built from core values. Pure: values in,
//! values or text out.
