//! The validity a label would have if issued on the assessment date: until the support period
//! ends, and for at most the scheme's maximum.

use crate::assessment::LabelValidity;

use super::Context;

pub(super) fn validity(
    context: &Context<'_>,
    level: u8,
) -> (Option<LabelValidity>, Option<String>) {
    if level == 0 {
        return (None, Some("no level is attained".into()));
    }
    let Some(support_end) = context.dossier.product.support_period_end else {
        return (
            None,
            Some("the dossier gives no product.support_period_end: a label is valid only while the product is supported".into()),
        );
    };
    if support_end < context.on {
        return (
            None,
            Some(format!(
                "the support period ended on {support_end}: no label can be issued"
            )),
        );
    }
    let years = i32::try_from(context.scheme.label.max_validity_years).unwrap_or(i32::MAX);
    let cap = context.on.add_years(years);
    let (valid_until, limited_by) = if support_end <= cap {
        (support_end, "support-period-end")
    } else {
        (cap, "maximum-validity")
    };
    (
        Some(LabelValidity {
            level,
            valid_from: context.on,
            valid_until,
            limited_by: limited_by.into(),
        }),
        None,
    )
}
