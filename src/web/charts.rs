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

/// Progress against targets: per row a grey bar for the number sought, a blue one for the
/// applications and a green one for those approved, with their numbers. `legend` names the
/// three series.
pub fn progress(title: &str, legend: [&str; 3], rows: &[(String, [f64; 3])]) -> String {
    let width = 640.0;
    let label_w = 200.0;
    let bar_h = 8.0;
    let row_h = 3.0 * bar_h + 12.0;
    let top = 44.0;
    let height = top + rows.len() as f64 * row_h + 6.0;
    let colours = ["#b8c2cc", "#0b5cad", "#1e6b30"];
    let max = rows.iter().flat_map(|r| r.1).fold(0.0, f64::max).max(1.0);
    let mut svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{t}" width="{width}" height="{height}" viewBox="0 0 {width} {height}"><title>{t}</title><text x="0" y="16" font-size="14" font-weight="600" fill="#1d2733">{t}</text>"##,
        t = esc(title)
    );
    for (i, name) in legend.iter().enumerate() {
        let x = label_w + i as f64 * 130.0;
        svg.push_str(&format!(
            r##"<rect x="{x}" y="26" width="10" height="10" fill="{c}"/><text x="{tx}" y="35" font-size="12" fill="#1d2733">{n}</text>"##,
            c = colours[i],
            tx = x + 14.0,
            n = esc(name)
        ));
    }
    for (r, (label, values)) in rows.iter().enumerate() {
        let y0 = top + r as f64 * row_h;
        svg.push_str(&format!(
            r##"<text x="{lx}" y="{ty}" font-size="12" text-anchor="end" fill="#1d2733">{label}</text>"##,
            lx = label_w - 6.0,
            ty = y0 + 1.5 * bar_h + 4.0,
            label = esc(&short(label)),
        ));
        for (k, value) in values.iter().enumerate() {
            let y = y0 + k as f64 * bar_h;
            let w = ((width - label_w - 50.0) * value / max).max(1.0);
            svg.push_str(&format!(
                r##"<rect x="{label_w}" y="{y}" width="{w:.1}" height="{h}" fill="{c}"/><text x="{vx:.1}" y="{ty}" font-size="9" fill="#1d2733">{v:.0}</text>"##,
                h = bar_h - 1.0,
                c = colours[k],
                vx = label_w + w + 3.0,
                ty = y + bar_h - 1.5,
                v = value,
            ));
        }
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

    #[test]
    fn progress_draws_three_bars_a_row_and_a_legend() {
        let svg = super::progress(
            "征集",
            ["拟征集", "已申请", "已入库"],
            &[
                ("食品科学".into(), [10.0, 4.0, 1.0]),
                ("环境工程".into(), [8.0, 9.0, 0.0]),
            ],
        );
        assert_eq!(svg.matches("<rect").count(), 3 + 6);
        assert!(svg.contains("拟征集") && svg.contains("食品科学"));
    }
}
