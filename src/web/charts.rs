//! Plain server-side SVG bar charts: no script, no external resource, readable in print.

/// Escapes text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Long labels are cut so that they stay inside the label column.
fn short(label: &str) -> String {
    const MAX: usize = 34;
    if label.chars().count() <= MAX {
        label.to_string()
    } else {
        label.chars().take(MAX - 1).chain(['…']).collect()
    }
}

/// A horizontal bar chart of labelled values.
pub fn bars(title: &str, rows: &[(String, f64)]) -> String {
    let width = 640.0;
    let label_w = 240.0;
    let bar_h = 18.0;
    let top = 28.0;
    let height = top + rows.len() as f64 * (bar_h + 6.0) + 10.0;
    let max = rows.iter().map(|r| r.1).fold(0.0, f64::max).max(1e-9);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{t}" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><title>{t}</title><text x="0" y="16" font-size="14" font-weight="600" fill="#1d2733">{t}</text>"##,
        t = esc(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = top + i as f64 * (bar_h + 6.0);
        let w = ((width - label_w - 60.0) * value / max).max(1.0);
        svg.push_str(&format!(
            r##"<text x="{lx}" y="{ty}" font-size="12" text-anchor="end" fill="#1d2733">{label}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="{bar_h}" fill="#0b5cad" rx="2"/><text x="{vx:.1}" y="{ty}" font-size="12" fill="#1d2733">{value}</text>"##,
            lx = label_w - 6.0,
            ty = y + 13.0,
            label = esc(&short(label)),
            vx = label_w + w + 4.0,
            value = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.2}") },
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn bars_escape_labels_and_scale_to_the_largest_value() {
        let svg = super::bars("A <b> chart", &[("x&y".into(), 2.0), ("z".into(), 4.0)]);
        assert!(svg.contains("A &lt;b&gt; chart") && svg.contains("x&amp;y"));
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 2);
    }
}
