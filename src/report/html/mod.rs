//! `report.html`: one self-contained page per results folder, read top to bottom — what was
//! run, the answer, the charts (each with one sentence on how to read it), the key tables, and
//! relative links to the folder's files.
//!
//! The page is built from what the command already computed (the rows its CSV writers use) and
//! from the SVG charts it already wrote into the output folder, which are inlined. Nothing is
//! fetched at view time: inline CSS, inline SVG, the charts' font as a `data:` URL, a few lines
//! of inline JS (sortable tables, and a `data-js-errors` attribute that records script errors
//! and blocked loads for the browser test), and a Content-Security-Policy that forbids any
//! fetch and any other script. Every string that can come from a scenario or sweep file goes
//! through [`escape`]. Formatting plus reading the SVGs back and one file write; deterministic
//! (no timestamps, inputs in order).

pub mod backtest;
pub mod calibrate;
pub mod compare;
pub mod run;
pub(crate) mod scorecard;
pub mod sweep;

use std::fmt::Write as _;
use std::path::Path;

use super::ReportError;

/// The page's file name in every results folder.
pub const FILE_NAME: &str = "report.html";

/// Escapes text for HTML element content and double- or single-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// A count with its noun in the right number: "1 target", "7 targets", "1,000 samples".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        crate::data::thousands(n),
        if n == 1 { one } else { many }
    )
}

/// "is" for a count of one, else "are": "1 is met", "4 are missed".
pub(crate) fn is_are(n: usize) -> &'static str {
    if n == 1 {
        "is"
    } else {
        "are"
    }
}

/// A file name as a relative link target: characters outside a safe set are percent-encoded,
/// so a name can neither leave the folder's scope (`:` cannot form a scheme) nor break the
/// attribute.
fn href(name: &str) -> String {
    let mut out = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.".contains(&byte) {
            out.push(byte as char);
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

/// How a table cell is shown: plain text, a right-aligned number, or a verdict coloured as in
/// the charts (Okabe–Ito green / vermillion; slate grey for a ceiling kept).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(String),
    Met(String),
    Missed(String),
    /// A land ceiling the projection stays within: neither green nor vermillion, because it is
    /// kept mostly when the population falls short of its own target.
    WithinCeiling(String),
    Neutral(String),
}

impl Cell {
    fn html(&self) -> String {
        let (class, text) = match self {
            Cell::Text(t) => ("", t),
            Cell::Number(t) => ("num", t),
            Cell::Met(t) => ("met", t),
            Cell::Missed(t) => ("missed", t),
            Cell::WithinCeiling(t) => ("within-ceiling", t),
            Cell::Neutral(t) => ("neutral", t),
        };
        if class.is_empty() {
            format!("<td>{}</td>", escape(text))
        } else {
            format!("<td class=\"{class}\">{}</td>", escape(text))
        }
    }
}

/// A table with a caption; `rows` may be many (the print CSS keeps each row whole and repeats
/// the header on every page).
pub struct Table {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// The element id; `scorecard` marks each page's answer table (the browser test looks for
    /// it). Tables of up to 25 rows are also kept on one printed page.
    pub id: String,
}

impl Table {
    pub fn new(id: &str, caption: impl Into<String>, header: &[&str]) -> Table {
        Table {
            caption: caption.into(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
            id: id.to_string(),
        }
    }

    fn html(&self) -> String {
        let mut out = String::new();
        let keep = if self.rows.len() <= 25 { " keep" } else { "" };
        let _ = write!(
            out,
            "<table id=\"{}\" class=\"sortable{keep}\"><caption>{}</caption><thead><tr>",
            escape(&self.id),
            escape(&self.caption)
        );
        for heading in &self.header {
            let _ = write!(out, "<th>{}</th>", escape(heading));
        }
        out.push_str("</tr></thead><tbody>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for cell in row {
                out.push_str(&cell.html());
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody></table>\n");
        out
    }
}

/// The page under construction: a title, a facts list (what was run) and sections in order.
pub struct Page {
    title: String,
    facts: Vec<(String, String)>,
    body: String,
}

impl Page {
    pub fn new(title: impl Into<String>) -> Page {
        Page {
            title: title.into(),
            facts: Vec::new(),
            body: String::new(),
        }
    }

    /// A line of "what was run": label and value (both escaped).
    pub fn fact(&mut self, label: &str, value: impl Into<String>) {
        self.facts.push((label.to_string(), value.into()));
    }

    /// A section heading.
    pub fn heading(&mut self, text: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", escape(text));
    }

    /// A paragraph of text (escaped).
    pub fn paragraph(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", escape(text));
    }

    pub fn table(&mut self, table: &Table) {
        self.body.push_str(&table.html());
    }

    /// Inlines every chart among `written` (its `<stem>.svg`, read back from `dir`) with one
    /// sentence on how to read it; the PNG twin is linked for slides.
    pub fn charts(&mut self, dir: &Path, written: &[String]) -> Result<(), ReportError> {
        self.charts_read_by(dir, written, how_to_read)
    }

    /// [`Page::charts`] with the sentences of `reading`, for a page whose chart shares its
    /// stem with another command's different chart.
    pub fn charts_read_by(
        &mut self,
        dir: &Path,
        written: &[String],
        reading: fn(&str) -> &'static str,
    ) -> Result<(), ReportError> {
        let stems: Vec<&str> = written
            .iter()
            .filter_map(|name| name.strip_suffix(".svg"))
            .collect();
        if stems.is_empty() {
            return Ok(());
        }
        self.heading("图表 Charts");
        for stem in stems {
            let path = dir.join(format!("{stem}.svg"));
            let svg = std::fs::read_to_string(&path)
                .map_err(|source| ReportError::Io { path, source })?;
            let _ = writeln!(
                self.body,
                "<figure id=\"chart-{id}\">\n{svg}\n<figcaption>{how} <a href=\"{png}\">PNG</a> · <a href=\"{file}\">SVG</a></figcaption>\n</figure>",
                id = escape(stem),
                svg = inline_svg(&svg),
                how = escape(reading(stem)),
                png = href(&format!("{stem}.png")),
                file = href(&format!("{stem}.svg")),
            );
        }
        Ok(())
    }

    /// Relative links to the folder's tables and other files (charts are linked under each
    /// figure). `names` in the order the command wrote them.
    pub fn files(&mut self, names: &[String]) {
        let mut listed: Vec<&String> = names
            .iter()
            .filter(|n| !n.ends_with(".svg") && !n.ends_with(".png") && *n != FILE_NAME)
            .collect();
        listed.dedup();
        self.heading("文件 Files in this folder");
        self.body.push_str("<ul class=\"files\">\n");
        for name in listed {
            let _ = writeln!(
                self.body,
                "<li><a href=\"{}\">{}</a> — {}</li>",
                href(name),
                escape(name),
                escape(file_note(name))
            );
        }
        self.body.push_str("</ul>\n");
        // What a reader of the files needs is said here, on the page that travels with them:
        // whoever has only the binary and a results folder has no README to look in.
        self.paragraph(
            "Each line above says what its file holds, and each CSV file names its columns in its first row. The files' numbers are unscaled: persons (net migration: persons per year), yuan, or the unit a measure or unit column names — not the 万 (10⁴) and 亿 (10⁸) of the tables and charts above. Columns ending in _pct are per cent; shares and coverages are fractions.",
        );
    }

    /// The complete document.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"zh-Hans\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
             <title>{}</title>\n<script>{ERROR_PROBE}</script>\n<style>{}{CSS}</style>\n</head>\n<body>\n<main>\n<h1>{}</h1>\n",
            content_security_policy(),
            escape(&self.title),
            font_face(),
            escape(&self.title)
        );
        if !self.facts.is_empty() {
            out.push_str("<dl class=\"facts\">\n");
            for (label, value) in &self.facts {
                let _ = writeln!(out, "<dt>{}</dt><dd>{}</dd>", escape(label), escape(value));
            }
            out.push_str("</dl>\n");
        }
        out.push_str(&self.body);
        let _ = write!(
            out,
            "<footer>simulate {} · 成渝城市群发展规划 (发改规划〔2016〕910号)</footer>\n</main>\n<script>{SORT}</script>\n</body>\n</html>\n",
            env!("CARGO_PKG_VERSION")
        );
        out
    }

    /// Writes `report.html` into `dir`; returns its name for the command's list of outputs.
    pub fn write(&self, dir: &Path) -> Result<String, ReportError> {
        let path = dir.join(FILE_NAME);
        std::fs::write(&path, self.render()).map_err(|source| ReportError::Io { path, source })?;
        Ok(FILE_NAME.to_string())
    }
}

/// An SVG file as inline markup: any XML prolog dropped (not allowed inside HTML), and the root
/// made to scale with the page (the viewBox keeps the proportions).
fn inline_svg(svg: &str) -> String {
    let start = svg.find("<svg").unwrap_or(0);
    let body = &svg[start..];
    // Inline SVG takes its namespace from the HTML parser; dropping the declaration keeps the
    // page free of any URL-looking text.
    body.replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1)
        .replacen(
            "<svg",
            "<svg role=\"img\" preserveAspectRatio=\"xMidYMid meet\"",
            1,
        )
}

/// The charts' embedded font (a subset of Noto Sans CJK SC, SIL OFL) as an `@font-face` under
/// the first name of the charts' font list, so that the inline SVGs render with the metrics
/// they were laid out with, and Chinese text shows on machines without CJK fonts. It makes
/// the page about 2 MB; encoded once per process.
fn font_face() -> &'static str {
    static FACE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FACE.get_or_init(|| {
        format!(
            "@font-face{{font-family:\"Noto Sans CJK SC\";src:url(data:font/otf;base64,{}) format(\"opentype\");font-display:block}}",
            base64(super::charts::FONT_BYTES)
        )
    })
}

/// Standard base64 with padding (RFC 4648), for the font's `data:` URL.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One sentence per chart kind on how to read it, chosen by the file stem.
pub fn how_to_read(stem: &str) -> &'static str {
    let rules: [(&str, &str); 16] = [
        ("population_difference", "Each bar is a unit's population difference from the reference in the focus year, sorted; bars right of zero mean more people than the reference."),
        ("gdp_difference", "Each bar is a unit's GDP difference from the reference in the focus year, sorted; bars right of zero mean more output than the reference."),
        ("population", "Lines are resident population (万人) by year, each single unit shaded with its 80 % prediction interval (the Chongqing core, a sum of nine units, has none; 95 % bounds are in trajectories.csv); on the right, the estimated central-urban population (a share of the unit's urban population, docs/TARGETS.md) with the plan's 2020 targets as stars and, beside them, the scorecard's low–high range."),
        ("gdp", "Lines are GDP at 2014 prices (亿元) by year, each single unit shaded with its 80 % prediction interval (the Chongqing core, a sum of nine units, has none; 95 % bounds are in trajectories.csv); the marker is the plan's 2014 figure for the whole area."),
        ("targets", "Bars are the 2020 target and the central estimate of the central-urban population, the whisker its low–high range: green met (the whole range reaches the target), vermillion missed, blue uncertain (the range straddles it)."),
        ("map_", "Circle area is a unit's population, colour its difference from the reference scenario in %; blue is fewer people, red more."),
        ("map", "Circle area is a unit's final population, colour its growth since the start year; arrows are the largest net flows between units."),
        ("totals", "One line per scenario: plan-area population and GDP by year; the gap between lines is the effect of a scenario's levers. Both axes start at zero, so equal relative effects show as about equal gaps; the numbers are in comparison_totals.csv."),
        // No stars: the sweep's fan panels carry no target markers (report::sweep::fan_chart).
        ("fan", "Bands hold 90 % (light) and 50 % (dark) of the Monte Carlo runs, the line is the median. Parameter uncertainty only: not the forecast interval, which a run's trajectories.csv and population chart give (80 % and 95 %, adding the out-of-sample errors by horizon)."),
        ("indices_", "Longer bars mean the parameter explains more of the output's variance (Sobol S1 first-order, ST total; sorted by ST) or moves it more (Morris μ*); whiskers are 95 % bootstrap intervals. A negative S1, or S1 above ST within the interval, is estimator noise."),
        ("tornado_", "Each bar spans the output when one parameter moves to its 5th and 95th percentile with the others at their medians; the widest bars matter most."),
        ("convergence_", "Total indices re-estimated on growing numbers of base samples; flat lines at the right mean the estimate has settled."),
        ("fit_", "Each point is an observation against the fitted run on log–log axes; points on the diagonal are fitted exactly, one colour per year."),
        ("skill_", "Each bar is a forecast's mean absolute % error, over all units and then over each kind of unit on its own; shorter is better. A forecast can win overall and lose on a kind, or the other way round. Population errors are as observed; GDP errors are with the observed totals imposed (each province's over all units, each kind's within a kind), because the level of the GDP observations is uncertain (docs/DATA.md)."),
        ("scatter_", "Each point is a unit's forecast against what was observed, on log–log axes; points above the diagonal were over-predicted."),
        ("error_map_", "Circle area is a unit's population, colour the model's error in %: red over-predicted, blue under-predicted."),
    ];
    rules
        .iter()
        .find(|(prefix, _)| {
            if prefix.ends_with('_') {
                stem.starts_with(prefix)
            } else {
                stem == *prefix
            }
        })
        .map_or("", |(_, sentence)| sentence)
}

/// What a linked file holds, by name.
fn file_note(name: &str) -> &'static str {
    let notes: [(&str, &str); 24] = [
        ("trajectories.csv", "population, GDP, urban population and net migration by unit and year, with 80 %/95 % intervals"),
        ("totals.csv", "the same per region (plan area, provinces, Chongqing core)"),
        ("migration_", "persons moving between units (and the rest of China) during the year"),
        ("targets.csv", "every plan target with the projection, gap and verdict"),
        ("base_year_checks.csv", "the plan's 2014 figures against the base year (facts, not targets)"),
        ("manifest.json", "engine version, inputs and their SHA-256, resolved parameters, SHA-256 of every output"),
        ("comparison.csv", "population and GDP by unit and year, with differences from the reference"),
        ("comparison_totals.csv", "region totals per scenario, every year"),
        ("comparison_sources.csv", "where each difference in population comes from: the rest of China or other units"),
        ("inputs_diff.csv", "every resolved input that differs from the reference"),
        ("targets_comparison.csv", "every plan target × scenario: projected, gap, met"),
        ("samples.csv", "factors (parameters, levers) and outputs of every run"),
        ("indices.csv", "sensitivity indices (or quantiles) per factor and output, with the unit they are in"),
        ("target_probabilities.csv", "share of runs whose central estimate meets each target (a land ceiling: stays within it), with a Wilson 95 % interval and the target's measure"),
        ("bands.csv", "p5–p95 of every unit's population, every year"),
        ("convergence.csv", "Sobol indices re-estimated on growing sample sizes"),
        ("calibrated.ron", "a scenario extending the input with the fitted values"),
        ("calibration.md", "the loss by group and the parameter table"),
        ("parameters.csv", "fitted parameters with standard errors and search ranges"),
        ("fit.csv", "every observation against the start and fitted runs"),
        ("backtest.csv", "every observation next to the model and the naive forecasts"),
        ("backtest_summary.csv", "error metrics per variable and forecast"),
        ("backtest_groups.csv", "the same metrics per kind of unit (province × core), raw and with each kind's total imposed"),
        ("cross_validation.csv", "census_momentum fitted with one province left out, scored on that province"),
    ];
    notes
        .iter()
        .find(|(key, _)| {
            if key.ends_with('_') {
                name.starts_with(key)
            } else {
                name == *key
            }
        })
        .map_or("", |(_, note)| note)
}

/// The page's Content-Security-Policy: nothing may be fetched (fonts and images only from
/// `data:` URLs) and only the page's own two scripts run, named by their SHA-256 — so even
/// markup that slipped past [`escape`] could neither load anything nor execute.
fn content_security_policy() -> String {
    use sha2::{Digest, Sha256};
    let hash = |script: &str| format!("'sha256-{}'", base64(&Sha256::digest(script.as_bytes())));
    format!(
        "default-src 'none'; script-src {} {}; style-src 'unsafe-inline'; font-src data:; img-src data:; base-uri 'none'; form-action 'none'",
        hash(ERROR_PROBE),
        hash(SORT)
    )
}

/// Records script errors and blocked requests (Content-Security-Policy violations) on the root
/// element (`data-js-errors`) so that a DOM dump shows them; runs first, before anything else
/// can fail.
const ERROR_PROBE: &str = "(function(){var r=document.documentElement;function note(m){r.setAttribute('data-js-errors',(r.getAttribute('data-js-errors')||'')+m+';');}window.addEventListener('error',function(e){note(e.message||('cannot load '+(e.target&&(e.target.src||e.target.href))));},true);document.addEventListener('securitypolicyviolation',function(e){note('blocked '+e.violatedDirective+' '+e.blockedURI);});})();";

/// Click a column heading to sort by it (numbers numerically, again to reverse); marks the page
/// `data-js-ready` when set up.
const SORT: &str = r#"
document.querySelectorAll('table.sortable th').forEach(function(th){
  th.addEventListener('click',function(){
    var table=th.closest('table'),body=table.tBodies[0],col=th.cellIndex,asc=th.getAttribute('data-asc')!=='1';
    var key=function(tr){var t=tr.cells[col]?tr.cells[col].textContent:'';var n=parseFloat(t.replace(/[^0-9eE+\-.]/g,''));return isNaN(n)?t:n;};
    Array.prototype.slice.call(body.rows).sort(function(a,b){var x=key(a),y=key(b);var c=(typeof x===typeof y)?(x<y?-1:x>y?1:0):(typeof x==='number'?-1:1);return asc?c:-c;}).forEach(function(tr){body.appendChild(tr);});
    th.setAttribute('data-asc',asc?'1':'0');
  });
});
document.documentElement.setAttribute('data-js-ready','1');
"#;

const CSS: &str = r#"
:root{--met:#009E73;--missed:#D55E00;--within-ceiling:#66788A;--ink:#1a1a1a;--muted:#555;--rule:#ccc}
html{font-family:"Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:var(--ink);background:#fff;line-height:1.45}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{font-size:1.6rem;margin:0 0 .8rem}
h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:1px solid var(--rule);padding-bottom:.2rem;break-after:avoid}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
dl.facts dt{font-weight:600;color:var(--muted)}
dl.facts dd{margin:0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem;font-size:.85rem}
caption{text-align:left;font-weight:600;padding:.3rem 0;caption-side:top}
th,td{border-bottom:1px solid var(--rule);padding:.25rem .4rem;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#f2f2f2;cursor:pointer;user-select:none}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.met{color:#fff;background:var(--met);font-weight:600;white-space:nowrap}
td.missed{color:#fff;background:var(--missed);font-weight:600;white-space:nowrap}
td.within-ceiling{color:#2b3a48;background:#dadfe3;border-left:4px solid var(--within-ceiling);font-weight:600;white-space:nowrap}
td.neutral{color:var(--muted);white-space:nowrap}
figure{margin:1rem 0 1.6rem;break-inside:avoid}
figure svg{display:block;width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9rem;color:var(--muted);margin-top:.3rem}
ul.files li{margin:.15rem 0}
.answer{font-size:1.05rem}
footer{margin-top:2rem;font-size:.8rem;color:var(--muted)}
@media print{
 @page{size:A4;margin:14mm}
 html{font-size:10pt}
 main{max-width:none;padding:0}
 table{font-size:8pt}
 td.num,td.met,td.missed,td.within-ceiling,td.neutral{white-space:normal}
 table.keep,figure,tr,dl.facts{break-inside:avoid}
 thead{display:table-header-group}
 th{background:#eee}
 td.met,td.missed,td.within-ceiling{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
"#;

/// "what was run" lines shared by the pages of commands that run one scenario.
pub fn scenario_facts(
    page: &mut Page,
    scenario: &crate::scenario::Scenario,
    data: &crate::data::Dataset,
) {
    page.fact("情景 Scenario", scenario.name.clone());
    if !scenario.description.is_empty() {
        page.fact("说明 Description", scenario.description.clone());
    }
    page.fact(
        "年份 Years",
        format!("{}–{}", scenario.start_year, scenario.end_year),
    );
    file_facts(page, scenario);
    page.fact(
        "引擎 Engine",
        format!("simulate {}", env!("CARGO_PKG_VERSION")),
    );
    page.fact("数据 Data", data_summary(data));
    page.fact("政策 Levers", lever_summary(scenario, data));
}

/// Where the data came from and the (short) SHA-256 of each file.
pub fn data_summary(data: &crate::data::Dataset) -> String {
    format!(
        "{} — {}",
        data.source,
        data.hashes
            .iter()
            .map(|(file, sha)| format!("{file} {}", short_hash(sha)))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// The scenario file as given with its own SHA-256, and the files it extends (root first).
pub fn file_facts(page: &mut Page, scenario: &crate::scenario::Scenario) {
    let Some(source) = &scenario.source else {
        return;
    };
    let (parents, own) = match scenario.sources.split_last() {
        Some((own, parents)) => (parents, own.1.as_str()),
        None => (&[][..], scenario.source_hash.as_str()),
    };
    page.fact(
        "文件 File",
        format!("{} (SHA-256 {})", source.display(), short_hash(own)),
    );
    for (file, sha) in parents {
        page.fact(
            "继承 Extends",
            format!("{file} (SHA-256 {})", short_hash(sha)),
        );
    }
}

/// The levers in one line: how many, and each policy by its name and kind ("成渝中线
/// (TravelTime from 2028)"); the run page describes them in full in [`levers_table`],
/// compare in its inputs table.
pub fn lever_summary(scenario: &crate::scenario::Scenario, data: &crate::data::Dataset) -> String {
    let items = levers(scenario, data);
    if items.is_empty() {
        return "none (status quo)".to_string();
    }
    let short: Vec<String> = items
        .iter()
        .map(|(name, what)| {
            let kind = what.split(": ").next().unwrap_or(what);
            if name.is_empty() {
                kind.to_string()
            } else {
                format!("{name} ({kind})")
            }
        })
        .collect();
    format!("{} — {}", items.len(), short.join("; "))
}

/// Every lever of the given scenarios, described in full (unit ids, as in inputs_diff.csv).
pub fn levers_table(
    scenarios: &[&crate::scenario::Scenario],
    data: &crate::data::Dataset,
) -> Table {
    let mut table = Table::new(
        "levers",
        "政策与假设 Levers: policies, macro paths and parameters changed from the defaults",
        &["scenario", "lever", "what it does"],
    );
    for scenario in scenarios {
        for (name, what) in levers(scenario, data) {
            table.rows.push(vec![
                Cell::Text(scenario.name.clone()),
                Cell::Text(name),
                Cell::Text(what),
            ]);
        }
    }
    table
}

/// The scenario's levers as (name, description): policies, macro paths (unnamed), and
/// parameters that differ from the defaults of docs/MODEL.md (unnamed).
pub fn levers(
    scenario: &crate::scenario::Scenario,
    data: &crate::data::Dataset,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = scenario
        .policies
        .iter()
        .map(|p| (p.label.clone(), super::compare::describe(&p.policy, data)))
        .collect();
    for path in &scenario.macro_paths {
        out.push((
            String::new(),
            format!(
                "{} {:?} {}–{}: {}",
                path.region, path.indicator, path.from_year, path.to_year, path.value
            ),
        ));
    }
    let defaults: std::collections::BTreeMap<&str, f64> =
        crate::model::params::Params::default().iter().collect();
    for (name, value) in scenario.params.iter() {
        if defaults.get(name) != Some(&value) {
            out.push((String::new(), format!("parameter {name} = {value}")));
        }
    }
    out
}

/// The first 12 hex digits of a SHA-256: enough to tell files apart on a page (the manifest
/// holds the full hashes).
fn short_hash(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }

    #[test]
    fn href_encodes_anything_but_plain_names() {
        assert_eq!(href("map_plan.svg"), "map_plan.svg");
        assert_eq!(href("javascript:x\".csv"), "javascript%3Ax%22.csv");
    }

    #[test]
    fn base64_matches_rfc_4648_examples() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn inline_svg_drops_the_prolog() {
        let svg = inline_svg("<?xml version=\"1.0\"?>\n<svg width=\"10\"></svg>");
        assert!(svg.starts_with("<svg role=\"img\""), "{svg}");
    }

    #[test]
    fn the_page_escapes_its_text_and_allows_exactly_its_own_scripts() {
        let mut page = Page::new("<i>title</i>");
        page.fact("<b>label</b>", "x\"><script>alert(1)</script>");
        let mut table = Table::new("t\"", "<caption>", &["<th>"]);
        table.rows.push(vec![Cell::Met("<td>".into())]);
        page.table(&table);
        let html = page.render();
        for raw in [
            "<i>",
            "<b>",
            "<script>alert",
            "<caption><",
            "<th><",
            "<td><",
        ] {
            assert!(!html.contains(raw), "unescaped {raw}");
        }
        assert!(html.contains("id=\"t&quot;\""));
        // Every inline script is allowed by its hash, and nothing else is.
        use sha2::{Digest, Sha256};
        let scripts: Vec<&str> = html
            .split("<script>")
            .skip(1)
            .map(|rest| rest.split("</script>").next().unwrap())
            .collect();
        assert_eq!(scripts.len(), 2);
        let policy = content_security_policy();
        for script in scripts {
            let hash = base64(&Sha256::digest(script.as_bytes()));
            assert!(policy.contains(&format!("'sha256-{hash}'")), "{script}");
        }
        assert!(html.contains(&policy));
        assert!(policy.starts_with("default-src 'none';"));
    }

    #[test]
    fn every_chart_stem_has_a_reading() {
        for stem in [
            "population",
            "gdp",
            "targets",
            "map",
            "totals",
            "population_difference",
            "gdp_difference",
            "map_plan",
            "fan",
            "indices_x",
            "tornado_x",
            "convergence_x",
            "fit_gdp",
            "scatter_population",
            "error_map_gdp",
        ] {
            assert!(!how_to_read(stem).is_empty(), "{stem}");
        }
        assert!(how_to_read("population").starts_with("Lines"));
        // The fan's panels have no target stars, so its reading names none.
        assert!(!how_to_read("fan").contains("star"));
        assert!(how_to_read("population_difference").starts_with("Each bar"));
    }
}
