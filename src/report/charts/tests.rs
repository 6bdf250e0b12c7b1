//! Tests of the charts: every figure writes SVG and PNG, odd data do not panic, output is
//! deterministic, every character used renders.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

use super::axes::{
    decimals_for, fmt_compact, fmt_num, fmt_persons, fmt_signed, value_decimals, YAxis,
};
use super::bars::{draw_target_chart, BarChart, TargetBar};
use super::colour::tint;
use super::difference::{difference_clip, difference_order, draw_difference_bars, DifferenceBars};
use super::fan::{draw_fan_chart, FanChart, FanPanel};
use super::font::{missing_glyphs, Metrics};
use super::grid::{draw_target_grid, TargetGrid};
use super::indices::{draw_index_bars, index_order, IndexBars, IndexSeries};
use super::legend::Key;
use super::line::{
    band_segments, draw_line_chart, log_x_axis, panel_entries, place_bars, series_colours, Band,
    ErrorBar, LineChart, Panel, Series, TargetMarker,
};
use super::map::{draw_map, map_colour_scale, MapChart, MapFlow, MapUnit, ScaleSide};
use super::status::{cell_fill, Status, BAR_MET, BAR_WITHIN_CEILING};
use super::text::{split_middle, true_minus, wrap_words};
use super::ChartError;

/// The 44 plan units' `name_zh` (data/units.csv), embedded so the test does not
/// depend on the data file's location.
const UNIT_NAMES: [&str; 44] = [
    "渝中区",
    "万州区",
    "黔江区",
    "涪陵区",
    "大渡口区",
    "江北区",
    "沙坪坝区",
    "九龙坡区",
    "南岸区",
    "北碚区",
    "綦江区",
    "大足区",
    "渝北区",
    "巴南区",
    "长寿区",
    "江津区",
    "合川区",
    "永川区",
    "南川区",
    "潼南区",
    "铜梁区",
    "荣昌区",
    "璧山区",
    "梁平区",
    "丰都县",
    "垫江县",
    "忠县",
    "开州区",
    "云阳县",
    "成都市",
    "自贡市",
    "泸州市",
    "德阳市",
    "绵阳市",
    "遂宁市",
    "内江市",
    "乐山市",
    "南充市",
    "眉山市",
    "宜宾市",
    "广安市",
    "达州市",
    "雅安市",
    "资阳市",
];

/// U+9F98 (dá, "dragons flying"), outside GB2312 and so outside the subset, and an
/// emoji. Written as escapes: make_subset.sh adds every character of src/*.rs.
const RARE: char = '\u{9F98}';
const EMOJI: char = '\u{1F600}';

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("simulate-charts-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn assert_written(dir: &Path, stem: &str) {
    let png = std::fs::read(dir.join(format!("{stem}.png"))).expect("png written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "PNG signature");
    let svg = std::fs::read_to_string(dir.join(format!("{stem}.svg"))).expect("svg written");
    assert!(svg.starts_with("<svg"), "SVG root element");
}

fn grow(p0: f64, r: f64) -> Vec<f64> {
    (0..17).map(|i| p0 * (1.0 + r).powi(i)).collect()
}

fn years() -> Vec<i32> {
    (2014..=2030).collect()
}

fn sample_line() -> LineChart {
    let cities = [
        ("成都 Chengdu", 15_402_974.0, 0.014),
        ("重庆主城九区 Chongqing core", 8_300_000.0, 0.012),
        ("万州 Wanzhou", 1_589_485.0, 0.006),
        ("黔江 Qianjiang", 448_881.0, 0.005),
        ("绵阳 Mianyang", 4_332_332.0, 0.008),
    ];
    let series: Vec<Series> = cities
        .iter()
        .map(|&(l, p, r)| Series {
            label: l.to_string(),
            years: years(),
            values: grow(p, r),
            dashed: false,
            band: None,
            error_bars: Vec::new(),
        })
        .collect();
    let targets = vec![
        TargetMarker {
            label: "2020 目标 target (专栏1)".into(),
            year: 2020,
            value: 1_500_000.0,
            series_label: Some("万州 Wanzhou".into()),
        },
        TargetMarker {
            label: "2020 目标 target (专栏1)".into(),
            year: 2020,
            value: 450_000.0,
            series_label: Some("黔江 Qianjiang".into()),
        },
    ];
    let mk = |log| Panel {
        title: if log {
            "对数 log scale"
        } else {
            "线性 linear"
        }
        .into(),
        y_label: "常住人口 population (万人)".into(),
        y_divisor: 1e4,
        log_y: log,
        y_from_zero: false,
        log_x: false,
        series: series.clone(),
        targets: targets.clone(),
        band_label: String::new(),
        error_bar_label: String::new(),
    };
    LineChart {
        title: "常住人口 Resident population".into(),
        subtitle: "test".into(),
        x_label: "年份 year".into(),
        panels: vec![mk(false), mk(true)],
    }
}

fn sample_bars() -> BarChart {
    BarChart {
        title: "2020 目标 targets".into(),
        subtitle: String::new(),
        y_label: "中心城区人口 (万人)".into(),
        y_divisor: 1e4,
        bars: vec![
            TargetBar {
                label: "万州 Wanzhou".into(),
                target: 1.5e6,
                projected: 1.62e6,
                low: 1.5e6,
                high: 1.8e6,
                status: Status::Uncertain,
            },
            TargetBar {
                label: "黔江 Qianjiang".into(),
                target: 4.5e5,
                projected: 3.9e5,
                low: 3.5e5,
                high: 4.2e5,
                status: Status::Missed,
            },
        ],
    }
}

fn sample_map() -> MapChart {
    MapChart {
        title: "地图 map".into(),
        subtitle: String::new(),
        units: vec![
            MapUnit {
                label: "成都 Chengdu".into(),
                lon: 104.06,
                lat: 30.66,
                population: 1.54e7,
                growth_pct: 1.2,
            },
            MapUnit {
                label: "万州 Wanzhou".into(),
                lon: 108.41,
                lat: 30.81,
                population: 1.59e6,
                growth_pct: -0.4,
            },
        ],
        flows: vec![MapFlow {
            from: 1,
            to: 0,
            persons: 20_000.0,
        }],
        colour_label: None,
    }
}

#[test]
fn line_chart_writes_svg_and_png() {
    let d = tmp("line");
    draw_line_chart(&sample_line(), &d, "line").unwrap();
    assert_written(&d, "line");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn target_chart_writes_svg_and_png() {
    let d = tmp("bars");
    draw_target_chart(&sample_bars(), &d, "bars").unwrap();
    assert_written(&d, "bars");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn map_writes_svg_and_png() {
    let d = tmp("map");
    draw_map(&sample_map(), &d, "map").unwrap();
    assert_written(&d, "map");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn output_is_deterministic() {
    let (a, b) = (tmp("det-a"), tmp("det-b"));
    draw_map(&sample_map(), &a, "m").unwrap();
    draw_map(&sample_map(), &b, "m").unwrap();
    for ext in ["svg", "png"] {
        let fa = std::fs::read(a.join(format!("m.{ext}"))).unwrap();
        let fb = std::fs::read(b.join(format!("m.{ext}"))).unwrap();
        assert!(fa == fb, "{ext} differs between identical runs");
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn every_unit_name_renders() {
    for name in UNIT_NAMES {
        assert_eq!(missing_glyphs(name), Vec::<char>::new(), "{name}");
    }
    let labels = "成都 Chengdu 重庆主城九区 Chongqing core 常住人口 Resident population \
                  万人 亿元 经度 longitude (°E) 纬度 latitude (°N) 2020 目标 target (专栏1) \
                  ≥≤±×÷≈∝°‰ ²³ 、。，：；（）《》【】〔〕「」！？％～ –—‘’“”…·•→←↑↓ ✓";
    assert_eq!(missing_glyphs(labels), Vec::<char>::new());
}

#[test]
fn every_character_of_these_modules_renders() {
    // Labels written here (legends, notes, axis names) must be in the subset;
    // RARE and EMOJI are deliberately absent (see `rare_glyphs_are_reported`).
    let sources = [
        include_str!("mod.rs"),
        include_str!("font.rs"),
        include_str!("canvas.rs"),
        include_str!("colour.rs"),
        include_str!("text.rs"),
        include_str!("axes.rs"),
        include_str!("legend.rs"),
        include_str!("labels.rs"),
        include_str!("line.rs"),
        include_str!("bars.rs"),
        include_str!("map.rs"),
        include_str!("difference.rs"),
        include_str!("grid.rs"),
        include_str!("fan.rs"),
        include_str!("indices.rs"),
    ];
    let missing: Vec<char> = missing_glyphs(&sources.concat())
        .into_iter()
        .filter(|c| ![RARE, EMOJI].contains(c))
        .collect();
    assert!(missing.is_empty(), "not in the font subset: {missing:?}");
}

#[test]
fn font_metrics_match_the_svg_em() {
    // make_subset.sh sets hhea ascender − descender to 1240 units (1.24 em), which
    // makes PNG text the same size as SVG text (plotters writes size / 1.24).
    let m = Metrics::get().expect("font metrics");
    assert_eq!(m.height, 1240.0);
    assert_eq!(m.glyph('中').0, 1000.0);
}

#[test]
fn rare_glyphs_are_reported() {
    assert_eq!(missing_glyphs(&RARE.to_string()), vec![RARE]);
    let mixed = format!("a{RARE}b{RARE}{EMOJI}");
    assert_eq!(missing_glyphs(&mixed), vec![RARE, EMOJI]);
    assert!(missing_glyphs("\n\t").is_empty());
}

#[test]
fn degenerate_inputs_do_not_panic() {
    let d = tmp("degenerate");
    let weird = Series {
        label: "怪 weird".into(),
        years: vec![2014, 2015, 2016, 2017, 2018],
        values: vec![f64::NAN, 0.0, -5.0, f64::INFINITY, 3.0],
        dashed: true,
        band: None,
        error_bars: Vec::new(),
    };
    let single = Series {
        label: "单年 single".into(),
        years: vec![2020],
        values: vec![1.0e6],
        dashed: false,
        band: None,
        error_bars: Vec::new(),
    };
    let empty = Series {
        label: "空 empty".into(),
        years: vec![],
        values: vec![],
        dashed: false,
        band: None,
        error_bars: Vec::new(),
    };
    let mismatched = Series {
        label: "错位 mismatched".into(),
        years: vec![2014, 2015, 2016],
        values: vec![1.0],
        dashed: false,
        band: None,
        error_bars: Vec::new(),
    };
    let bad_target = TargetMarker {
        label: "目标 target".into(),
        year: 2020,
        value: f64::NAN,
        series_label: Some("nobody".into()),
    };
    let panel = |log_y, series: Vec<Series>| Panel {
        title: String::new(),
        y_label: String::new(),
        y_divisor: 0.0,
        log_y,
        y_from_zero: false,
        // Odd data on a log x axis too (years ≤ 0 are skipped there).
        log_x: log_y,
        series,
        targets: vec![bad_target.clone()],
        band_label: String::new(),
        error_bar_label: String::new(),
    };
    let charts = [
        LineChart {
            title: String::new(),
            subtitle: String::new(),
            x_label: String::new(),
            panels: vec![],
        },
        LineChart {
            title: "t".into(),
            subtitle: String::new(),
            x_label: String::new(),
            panels: vec![
                panel(true, vec![weird.clone(), single.clone(), empty.clone()]),
                panel(false, vec![weird.clone(), mismatched.clone()]),
            ],
        },
        LineChart {
            title: "t".into(),
            subtitle: String::new(),
            x_label: "x".into(),
            panels: vec![
                panel(true, vec![empty.clone()]),
                panel(false, vec![single.clone()]),
            ],
        },
        LineChart {
            title: "constant".into(),
            subtitle: String::new(),
            x_label: "x".into(),
            panels: vec![panel(
                true,
                vec![Series {
                    label: "c".into(),
                    years: years(),
                    values: vec![5.0; 17],
                    dashed: false,
                    band: None,
                    error_bars: Vec::new(),
                }],
            )],
        },
    ];
    for (k, ch) in charts.iter().enumerate() {
        let _ = draw_line_chart(ch, &d, &format!("line{k}"));
    }
    let bars = [
        vec![],
        vec![TargetBar {
            label: String::new(),
            target: f64::NAN,
            projected: f64::INFINITY,
            low: f64::NAN,
            high: f64::NAN,
            status: Status::Missed,
        }],
        vec![TargetBar {
            label: "负 negative".into(),
            target: -10.0,
            projected: 0.0,
            low: -20.0,
            high: 5.0,
            status: Status::Met,
        }],
    ];
    for (k, b) in bars.into_iter().enumerate() {
        let chart = BarChart {
            title: String::new(),
            subtitle: String::new(),
            y_label: String::new(),
            y_divisor: f64::NAN,
            bars: b,
        };
        let _ = draw_target_chart(&chart, &d, &format!("bars{k}"));
    }
    let unit = |lon: f64, lat: f64, pop: f64, g: f64| MapUnit {
        label: "点 p".into(),
        lon,
        lat,
        population: pop,
        growth_pct: g,
    };
    let maps = [
        (vec![], vec![]),
        (vec![unit(104.0, 30.0, 0.0, f64::NAN)], vec![]),
        (
            vec![
                unit(104.0, 30.0, f64::NAN, 0.0),
                unit(104.0, 30.0, -1.0, 1e9),
            ],
            vec![
                MapFlow {
                    from: 0,
                    to: 1,
                    persons: 0.0,
                },
                MapFlow {
                    from: 0,
                    to: 0,
                    persons: 5.0,
                },
                MapFlow {
                    from: 1,
                    to: 0,
                    persons: f64::NAN,
                },
                MapFlow {
                    from: 1,
                    to: 0,
                    persons: -3.0,
                },
            ],
        ),
        (
            vec![
                unit(f64::NAN, 30.0, 1e6, 1.0),
                unit(105.0, f64::INFINITY, 1e6, 1.0),
            ],
            vec![],
        ),
    ];
    for (k, (units, flows)) in maps.into_iter().enumerate() {
        let chart = MapChart {
            title: String::new(),
            subtitle: String::new(),
            units,
            flows,
            colour_label: (k % 2 == 1).then(|| "差异 difference (%)".to_string()),
        };
        let _ = draw_map(&chart, &d, &format!("map{k}"));
    }
    let out_of_range = MapChart {
        flows: vec![MapFlow {
            from: 0,
            to: 7,
            persons: 1.0,
        }],
        ..sample_map()
    };
    assert!(matches!(
        draw_map(&out_of_range, &d, "bad"),
        Err(ChartError::InvalidInput(_))
    ));
    assert!(matches!(
        draw_map(&sample_map(), &d, "../escape"),
        Err(ChartError::InvalidInput(_))
    ));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn number_formatting() {
    assert_eq!(fmt_num(1_234_567.0, 0), "1,234,567");
    assert_eq!(fmt_num(-1500.5, 1), "−1,500.5");
    assert_eq!(fmt_num(-0.0, 0), "0");
    assert_eq!(fmt_compact(150.0), "150");
    assert_eq!(fmt_compact(45.0), "45");
    assert_eq!(fmt_persons(1e7), "1000万人");
    assert_eq!(fmt_persons(5000.0), "5000人");
    assert_eq!(fmt_persons(15_000.0), "1.5万人");
    assert_eq!(decimals_for(2.5, 6), 1);
    let ax = YAxis::linear(45.0, 1700.0, false, 6.0);
    assert_eq!(ax.lo, 0.0);
    assert!(ax.hi >= 1700.0);
    let lg = YAxis::log(40.0, 1600.0);
    assert!(lg.ticks.contains(&100.0) && lg.ticks.contains(&1000.0));
}

const SCENARIOS: [&str; 8] = [
    "baseline",
    "plan",
    "dual_core",
    "polycentric",
    "hukou_open",
    "high_speed_rail",
    "low_growth",
    "eco_strict",
];

/// Deterministic pseudo-differences in persons, about −50万 … +80万.
fn pseudo_delta(s: usize, i: usize) -> f64 {
    let k = ((i * 37 + s * 11 + i * s * 5) % 29) as f64;
    (k - 9.0) * 2.8e4 + if i % 7 == 0 { 3.0e5 } else { 0.0 }
}

fn sample_difference(ns: usize) -> DifferenceBars {
    DifferenceBars {
        title: "2030 常住人口差异 Population 2030, difference from baseline".into(),
        subtitle: "test".into(),
        value_label: "Δ 2030 population, 万人 (vs baseline)".into(),
        divisor: 1e4,
        scenarios: SCENARIOS[1..=ns].iter().map(|s| s.to_string()).collect(),
        labels: UNIT_NAMES.iter().map(|n| format!("{n} Unit")).collect(),
        values: (0..ns)
            .map(|s| (0..UNIT_NAMES.len()).map(|i| pseudo_delta(s, i)).collect())
            .collect(),
    }
}

fn sample_grid(ns: usize) -> TargetGrid {
    let mut targets = Vec::new();
    for c in [
        "万州 Wanzhou",
        "黔江 Qianjiang",
        "绵阳 Mianyang",
        "南充 Nanchong",
    ] {
        targets.push(format!("{c} 2020 中心城区人口"));
        targets.push(format!("{c} 2020 城市建设用地"));
    }
    targets.push("区域 2014 常住人口 region population".into());
    targets.push("区域 2014 城镇密度 town density".into());
    let cells = (0..targets.len())
        .map(|t| {
            (0..ns)
                .map(|s| {
                    (t + 1 < targets.len()).then(|| {
                        let gap = ((t * 13 + s * 7) % 40) as f64 - 20.0;
                        (
                            if gap >= 5.0 {
                                Status::Met
                            } else if gap < -5.0 {
                                Status::Missed
                            } else {
                                Status::Uncertain
                            },
                            format!("{:.1}万 ({}%)", 150.0 + gap, fmt_signed(gap, 1)),
                        )
                    })
                })
                .collect()
        })
        .collect();
    TargetGrid {
        title: "规划目标达成 Plan targets met, by scenario".into(),
        subtitle: String::new(),
        scenarios: SCENARIOS[..ns].iter().map(|s| s.to_string()).collect(),
        targets,
        cells,
        foot_groups: Vec::new(),
    }
}

#[test]
fn difference_bars_write_svg_and_png() {
    let d = tmp("diff");
    draw_difference_bars(&sample_difference(2), &d, "diff").unwrap();
    assert_written(&d, "diff");
    draw_difference_bars(&sample_difference(7), &d, "diff7").unwrap();
    assert_written(&d, "diff7");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn target_grid_writes_svg_and_png() {
    let d = tmp("grid");
    draw_target_grid(&sample_grid(8), &d, "grid").unwrap();
    assert_written(&d, "grid");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn kept_ceilings_are_drawn_apart_from_targets_met() {
    // A population target met and a land ceiling kept: the ceiling has its own colour, word
    // and legend entry in the grid and the bar chart, and counts in its own group.
    let hex = |c: RGBColor| format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2);
    let d = tmp("ceiling");
    let grid = TargetGrid {
        title: String::new(),
        subtitle: String::new(),
        scenarios: vec!["a".into(), "b".into()],
        targets: vec!["人口 population".into(), "用地 land (ceiling)".into()],
        cells: vec![
            vec![
                Some((Status::Met, "+3.0%".into())),
                Some((Status::Missed, "-2.0%".into())),
            ],
            vec![
                Some((Status::WithinCeiling, "-20.0%".into())),
                Some((Status::WithinCeiling, "-21.0%".into())),
            ],
        ],
        foot_groups: vec![
            ("population met".into(), vec![0]),
            ("within ceiling".into(), vec![1]),
        ],
    };
    draw_target_grid(&grid, &d, "grid").unwrap();
    let svg = std::fs::read_to_string(d.join("grid.svg")).unwrap();
    assert!(svg.contains("未超上限 within ceiling"), "legend");
    assert!(svg.contains(&hex(BAR_WITHIN_CEILING)), "icon colour");
    assert!(
        svg.contains(&hex(cell_fill(Some(Status::WithinCeiling)))),
        "cell tint"
    );
    assert!(
        svg.contains("1/1 · 1/1") && svg.contains("0/1 · 1/1"),
        "counts"
    );

    let mut bars = sample_bars();
    draw_target_chart(&bars, &d, "plain").unwrap();
    let plain = std::fs::read_to_string(d.join("plain.svg")).unwrap();
    assert!(
        !plain.contains("within ceiling"),
        "no legend entry without a ceiling"
    );
    bars.bars[1].status = Status::WithinCeiling;
    draw_target_chart(&bars, &d, "bars").unwrap();
    let svg = std::fs::read_to_string(d.join("bars.svg")).unwrap();
    assert!(
        svg.contains("预测 projected — 未超上限 within ceiling"),
        "legend"
    );
    assert!(
        svg.contains("未超上限 within ceiling 87% of target"),
        "badge"
    );
    assert!(svg.contains(&hex(BAR_WITHIN_CEILING)), "bar colour");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn line_chart_with_eight_scenarios() {
    // One series per scenario in both panels: same colours left and right, and
    // short labels, so the lines are labelled at their ends.
    let mut chart = sample_line();
    for (k, panel) in chart.panels.iter_mut().enumerate() {
        panel.targets.clear();
        panel.series = SCENARIOS
            .iter()
            .enumerate()
            .map(|(s, name)| Series {
                label: name.to_string(),
                years: years(),
                values: grow(9.2e7 / (k + 1) as f64, 0.002 * s as f64 - 0.004),
                dashed: s == 0,
                band: None,
                error_bars: Vec::new(),
            })
            .collect();
    }
    let colours = series_colours(&chart.panels);
    assert_eq!(colours[0], colours[1]);
    assert_eq!(colours[0].len(), 8);
    for (i, a) in colours[0].iter().enumerate() {
        assert!(!colours[0][..i].contains(a), "colour {i} repeats");
    }
    let d = tmp("line8");
    draw_line_chart(&chart, &d, "line8").unwrap();
    assert_written(&d, "line8");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn difference_order_and_cut() {
    let chart = DifferenceBars {
        title: String::new(),
        subtitle: String::new(),
        value_label: String::new(),
        divisor: 1.0,
        scenarios: vec!["a".into(), "b".into()],
        labels: (0..6).map(|i| i.to_string()).collect(),
        values: vec![
            vec![-1.0, f64::NAN, 5.0, 0.0, -0.0, 5.0],
            vec![9.0, 9.0, 9.0, 9.0, 9.0, 9.0],
        ],
    };
    // Largest first, ties (5, 5 and 0, −0) in input order, NaN last.
    assert_eq!(difference_order(&chart), vec![2, 5, 3, 4, 0, 1]);
    let none = DifferenceBars {
        scenarios: vec![],
        values: vec![],
        ..chart.clone()
    };
    assert_eq!(difference_order(&none), vec![0, 1, 2, 3, 4, 5]);

    // No cut for ordinary spreads, a cut for a lone outlier, rounded up.
    let ordinary: Vec<f64> = (0..44).map(|i| f64::from(i) - 20.0).collect();
    assert_eq!(difference_clip(&ordinary), None);
    let mut outlier = ordinary.clone();
    outlier.push(-531.0);
    let cut = difference_clip(&outlier).expect("cut");
    assert!((23.0 * 1.15..100.0).contains(&cut), "{cut}");
    assert_eq!(difference_clip(&[1.0, 1000.0, f64::NAN]), None);
}

#[test]
fn map_colour_scale_reads_small_differences() {
    // −3 … +5 %: one symmetric scale, ending on a tick beyond the bulk of the data.
    let g: Vec<f64> = (0..44).map(|i| -3.0 + 8.0 * f64::from(i) / 43.0).collect();
    let (neg, pos) = map_colour_scale(&g);
    let (neg, pos) = (neg.expect("decline side"), pos.expect("growth side"));
    assert_eq!(
        neg,
        ScaleSide {
            saturated: neg.saturated,
            ..pos
        }
    );
    assert!(pos.max >= 4.0 && pos.max <= 5.0, "{pos:?}");
    assert!(!neg.saturated);
    // Small losses beside large gains: still one range, so −2 % stays pale next to +13 %.
    let g: Vec<f64> = (0..44)
        .map(|i| {
            if i < 10 {
                1.5 * f64::from(i)
            } else {
                -2.4 * f64::from(i) / 43.0
            }
        })
        .collect();
    let (neg, pos) = map_colour_scale(&g);
    let (neg, pos) = (neg.expect("decline side"), pos.expect("growth side"));
    assert_eq!(neg.max, pos.max, "{neg:?} {pos:?}");
    // All growth: a sequential scale with no decline side.
    let (neg, pos) = map_colour_scale(&[0.0, 3.0, 12.0, 30.0]);
    assert!(neg.is_none() && pos.is_some_and(|p| p.max >= 30.0));
    let (neg, pos) = map_colour_scale(&[-1.0, -4.0]);
    assert!(neg.is_some() && pos.is_none());
    // Tiny or missing values: at least ±0.5 %, never zero or NaN.
    for g in [vec![], vec![f64::NAN], vec![0.0, 0.01, -0.02]] {
        let (neg, pos) = map_colour_scale(&g);
        let (neg, pos) = (neg.expect("decline side"), pos.expect("growth side"));
        assert!(neg.max >= 0.5 && pos.max >= 0.5 && neg.ticks >= 1 && pos.ticks >= 1);
    }
}

#[test]
fn comparison_inputs_are_checked_and_odd_data_do_not_panic() {
    let d = tmp("compare-odd");
    let bad_rows = DifferenceBars {
        values: vec![vec![1.0; 44]],
        ..sample_difference(2)
    };
    let bad_len = DifferenceBars {
        values: vec![vec![1.0; 44], vec![1.0; 43]],
        ..sample_difference(2)
    };
    for chart in [bad_rows, bad_len] {
        assert!(matches!(
            draw_difference_bars(&chart, &d, "bad"),
            Err(ChartError::InvalidInput(_))
        ));
    }
    let bad_grid = TargetGrid {
        cells: vec![],
        ..sample_grid(2)
    };
    let mut ragged = sample_grid(2);
    ragged.cells[3].pop();
    for chart in [bad_grid, ragged] {
        assert!(matches!(
            draw_target_grid(&chart, &d, "bad"),
            Err(ChartError::InvalidInput(_))
        ));
    }

    let long = "很长的标签 a very long label that cannot possibly fit anywhere ".repeat(4);
    let odd = |scenarios: Vec<String>, labels: Vec<String>, values: Vec<Vec<f64>>| DifferenceBars {
        title: String::new(),
        subtitle: String::new(),
        value_label: String::new(),
        divisor: f64::NAN,
        scenarios,
        labels,
        values,
    };
    let twelve: Vec<String> = (0..12).map(|k| format!("s{k}")).collect();
    let bars = [
        odd(vec![], vec![], vec![]),
        odd(vec!["a".into()], vec![], vec![vec![]]),
        odd(vec![], vec!["x".into()], vec![]),
        odd(vec![long.clone()], vec![long.clone()], vec![vec![0.0]]),
        odd(
            vec!["a".into(), "b".into()],
            vec!["x".into(), String::new(), "z".into()],
            vec![
                vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY],
                vec![1e300, -1e300, 0.0],
            ],
        ),
        odd(
            twelve.clone(),
            (0..100).map(|i| format!("标签 label {i}")).collect(),
            (0..12)
                .map(|s| (0..100).map(|i| f64::from(i * s) - 300.0).collect())
                .collect(),
        ),
        odd(
            vec!["a".into()],
            (0..20).map(|i| i.to_string()).collect(),
            vec![(0..20).map(|i| 1e-9 * f64::from(i)).collect()],
        ),
    ];
    for (k, chart) in bars.iter().enumerate() {
        draw_difference_bars(chart, &d, &format!("diff{k}")).unwrap();
    }
    let grid = |scenarios: Vec<String>, targets: Vec<String>, cells| TargetGrid {
        title: String::new(),
        subtitle: String::new(),
        scenarios,
        targets,
        cells,
        foot_groups: Vec::new(),
    };
    let grids = [
        grid(vec![], vec![], vec![]),
        grid(vec!["a".into()], vec![], vec![]),
        grid(vec![], vec!["t".into()], vec![vec![]]),
        grid(
            vec![long.clone()],
            vec![long.clone()],
            vec![vec![Some((Status::Met, long.clone()))]],
        ),
        grid(
            twelve.clone(),
            (0..60).map(|i| format!("目标 target {i}")).collect(),
            (0..60)
                .map(|t| {
                    (0..12)
                        .map(|s| match (t + s) % 3 {
                            0 => None,
                            1 => Some((Status::Met, String::new())),
                            _ => Some((Status::Missed, "−12.5% (123.4万人)".to_string())),
                        })
                        .collect()
                })
                .collect(),
        ),
    ];
    for (k, chart) in grids.iter().enumerate() {
        draw_target_grid(chart, &d, &format!("grid{k}")).unwrap();
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn comparison_output_is_deterministic() {
    let (a, b) = (tmp("cdet-a"), tmp("cdet-b"));
    for dir in [&a, &b] {
        draw_difference_bars(&sample_difference(2), dir, "d").unwrap();
        draw_target_grid(&sample_grid(3), dir, "g").unwrap();
    }
    for f in ["d.svg", "d.png", "g.svg", "g.png"] {
        let fa = std::fs::read(a.join(f)).unwrap();
        let fb = std::fs::read(b.join(f)).unwrap();
        assert!(fa == fb, "{f} differs between identical runs");
    }
    let _ = std::fs::remove_dir_all(&a);
    let _ = std::fs::remove_dir_all(&b);
}

#[test]
fn comparison_helpers() {
    assert_eq!(fmt_signed(12.34, 1), "+12.3");
    assert_eq!(fmt_signed(-0.04, 1), "0.0");
    assert_eq!(fmt_signed(0.0, 0), "0");
    assert_eq!(fmt_signed(-3.0, 0), "−3");
    assert_eq!(value_decimals(80.0), 1);
    assert_eq!(value_decimals(531.0), 0);
    assert_eq!(
        split_middle("339.8万 (+126.5%)"),
        Some(("339.8万".into(), "(+126.5%)".into()))
    );
    assert_eq!(split_middle("nospace"), None);
    assert_eq!(true_minus("-24.5% (x-1, -3)"), "−24.5% (x-1, −3)");
    assert_eq!(true_minus("2020-2030 -"), "2020-2030 -");
    assert_eq!(tint(RGBColor(0, 0, 0), 0.0), RGBColor(255, 255, 255));
    assert_eq!(tint(BAR_MET, 1.0), BAR_MET);
}

#[test]
fn bilingual_labels_fall_back_to_two_lines_then_chinese() {
    use super::labels::label_forms;
    assert_eq!(
        label_forms("万州 Wanzhou"),
        vec![
            vec!["万州 Wanzhou".to_string()],
            vec!["万州".to_string(), "Wanzhou".to_string()],
            vec!["万州".to_string()],
        ]
    );
    assert_eq!(label_forms("κ"), vec![vec!["κ".to_string()]]);
    // Not a Chinese name: never shortened to its first word ("τh (core)" is not "τh").
    assert_eq!(label_forms("τh (core)").len(), 2);
}

#[test]
fn descriptions_wrap_and_shorten_at_words() {
    // Width measured in characters: lines of at most 20.
    let fits = |t: &str| Ok::<_, ()>(t.chars().count() <= 20);
    let text = "yearly decay of each unit's 2010–2014 relative productivity trend";
    assert_eq!(
        wrap_words(text, 3, fits).unwrap(),
        ["yearly decay of each", "unit's 2010–2014", "relative …"]
    );
    assert_eq!(
        wrap_words(text, 9, fits).unwrap(),
        [
            "yearly decay of each",
            "unit's 2010–2014",
            "relative",
            "productivity trend"
        ]
    );
    // Never cut inside a word: the shortened line ends with a whole word and " …".
    for lines in 1..=4 {
        for line in wrap_words(text, lines, fits).unwrap() {
            let body = line.trim_end_matches(" …");
            assert!(
                body.split(' ').all(|w| text.split(' ').any(|t| t == w)),
                "{line}"
            );
        }
    }
    assert_eq!(
        wrap_words("short", 2, fits).unwrap(),
        vec!["short".to_string()]
    );
    assert!(wrap_words("", 2, fits).unwrap().is_empty());
    assert!(wrap_words(text, 0, fits).unwrap().is_empty());
}

fn sample_fan(n: usize) -> FanChart {
    let names = [
        ("成都 Chengdu", 15_402_974.0, 0.014),
        ("万州 Wanzhou", 1_589_485.0, 0.006),
        ("黔江 Qianjiang", 448_881.0, 0.005),
        ("绵阳 Mianyang", 4_332_332.0, 0.008),
        ("南充 Nanchong", 6_300_000.0, -0.002),
        ("乐山 Leshan", 3_200_000.0, 0.001),
        ("泸州 Luzhou", 4_250_000.0, 0.004),
        ("宜宾 Yibin", 4_470_000.0, 0.003),
        ("自贡 Zigong", 2_740_000.0, -0.001),
        ("达州 Dazhou", 5_480_000.0, 0.0),
    ];
    let panels = (0..n)
        .map(|k| {
            let (name, p0, r) = names[k % names.len()];
            let mid = grow(p0, r);
            let spread = |f: f64| -> Vec<f64> {
                mid.iter()
                    .enumerate()
                    .map(|(i, v)| v * (1.0 + f * i as f64 / 16.0))
                    .collect()
            };
            FanPanel {
                title: name.to_string(),
                years: years(),
                p5: spread(-0.12),
                p25: spread(-0.05),
                p50: mid.clone(),
                p75: spread(0.05),
                p95: spread(0.12),
                targets: vec![TargetMarker {
                    label: "2020 中心城区人口目标 central-urban target".into(),
                    year: 2020,
                    value: p0 * 0.4,
                    series_label: None,
                }],
            }
        })
        .collect();
    FanChart {
        title: "人口不确定性 Population uncertainty".into(),
        subtitle: "蒙特卡洛 Monte Carlo, 1,000 runs".into(),
        note: "仅参数不确定性 parameter uncertainty only".into(),
        x_label: "年 year".into(),
        y_label: "常住人口 population (万人)".into(),
        y_divisor: 1e4,
        panels,
    }
}

#[test]
fn fan_chart_writes_svg_and_png() {
    let d = tmp("fan");
    for n in [1, 4, 8, 9] {
        let stem = format!("fan{n}");
        draw_fan_chart(&sample_fan(n), &d, &stem).unwrap();
        assert_written(&d, &stem);
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn fan_chart_odd_data() {
    let d = tmp("fan-odd");
    let mut chart = sample_fan(4);
    // NaN years break the bands; an all-NaN panel says so; no panels at all is drawn.
    chart.panels[0].p50[3] = f64::NAN;
    chart.panels[1].p95[0] = f64::INFINITY;
    let p2 = &mut chart.panels[2];
    for q in [&mut p2.p5, &mut p2.p95] {
        q.iter_mut().for_each(|v| *v = f64::NAN);
    }
    chart.panels[2].targets.clear();
    chart.panels[3].targets[0].value = f64::NAN;
    chart.y_divisor = f64::NAN;
    draw_fan_chart(&chart, &d, "odd").unwrap();
    assert_written(&d, "odd");
    let empty = FanChart {
        panels: Vec::new(),
        ..sample_fan(0)
    };
    draw_fan_chart(&empty, &d, "empty").unwrap();
    let mut single = sample_fan(1);
    let p = &mut single.panels[0];
    for q in [&mut p.p5, &mut p.p25, &mut p.p50, &mut p.p75, &mut p.p95] {
        q.truncate(1);
    }
    p.years.truncate(1);
    draw_fan_chart(&single, &d, "single").unwrap();
    // Bad shapes are errors, not panics.
    assert!(matches!(
        draw_fan_chart(&sample_fan(10), &d, "ten"),
        Err(ChartError::InvalidInput(_))
    ));
    let mut short = sample_fan(2);
    short.panels[1].p25.pop();
    assert!(matches!(
        draw_fan_chart(&short, &d, "short"),
        Err(ChartError::InvalidInput(_))
    ));
    let _ = std::fs::remove_dir_all(&d);
}

fn sample_index() -> IndexBars {
    let parameters: Vec<String> = [
        "epsilon",
        "beta_per_hour",
        "lambda",
        "gamma",
        "chi",
        "trend_decay",
        "migrant_stay_years",
        "hukou_wedge",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let s1 = vec![0.05, 0.41, 0.002, -0.01, 0.18, 0.0, 0.22, 0.07];
    let st = vec![0.08, 0.45, 0.01, 0.004, 0.2, 0.001, 0.3, 0.1];
    let conf = |v: &Vec<f64>, f: f64| -> (Vec<f64>, Vec<f64>) {
        (
            v.iter().map(|x| x - f).collect(),
            v.iter().map(|x| x + f).collect(),
        )
    };
    let (l1, h1) = conf(&s1, 0.03);
    let (lt, ht) = conf(&st, 0.02);
    IndexBars {
        title: "Sobol 指数 indices: population_chengdu_2030".into(),
        subtitle: "S1 一阶 first order · ST 总效应 total".into(),
        value_label: "方差占比 share of output variance".into(),
        parameters,
        descriptions: Vec::new(),
        sort_by: 0,
        note: String::new(),
        series: vec![
            IndexSeries {
                label: "S1".into(),
                values: s1,
                low: Some(l1),
                high: Some(h1),
            },
            IndexSeries {
                label: "ST".into(),
                values: st,
                low: Some(lt),
                high: Some(ht),
            },
        ],
        keep_order: false,
        decimals: None,
    }
}

#[test]
fn index_bars_write_svg_and_png() {
    let d = tmp("index");
    let chart = sample_index();
    // By size: the slightly negative S1 of gamma (estimator noise, −0.01) ranks by its magnitude.
    assert_eq!(index_order(&chart), vec![1, 6, 4, 7, 0, 3, 2, 5]);
    // Sobol charts sort by ST (the second series): lambda's ST 0.01 ranks above gamma's 0.004
    // although |S1| says the other way round.
    let by_st = IndexBars {
        sort_by: 1,
        ..sample_index()
    };
    assert_eq!(index_order(&by_st), vec![1, 6, 4, 7, 0, 2, 3, 5]);
    // Out of range: the first series.
    let by_none = IndexBars {
        sort_by: 9,
        ..sample_index()
    };
    assert_eq!(index_order(&by_none), index_order(&chart));
    let kept = IndexBars {
        keep_order: true,
        ..sample_index()
    };
    assert_eq!(index_order(&kept), (0..8).collect::<Vec<_>>());
    draw_index_bars(&chart, &d, "sobol").unwrap();
    assert_written(&d, "sobol");
    // Names with descriptions under them and a note line.
    let described = IndexBars {
        descriptions: (0..8)
            .map(|i| "yearly decay of each unit's net-migration differential ".repeat(i % 3))
            .collect(),
        note: "a negative S1 is estimator noise".into(),
        sort_by: 1,
        ..sample_index()
    };
    draw_index_bars(&described, &d, "described").unwrap();
    assert_written(&d, "described");
    // Morris-style: two series without intervals, large values; one series alone.
    let mut morris = sample_index();
    for s in &mut morris.series {
        s.values.iter_mut().for_each(|v| *v = v.abs() * 3.2e6);
        s.low = None;
        s.high = None;
    }
    morris.series[1].label = "σ".into();
    morris.series[0].label = "μ*".into();
    draw_index_bars(&morris, &d, "morris").unwrap();
    morris.series.truncate(1);
    draw_index_bars(&morris, &d, "tornado").unwrap();
    assert_written(&d, "tornado");
    for t in [
        "μ*",
        "σ",
        "区间 interval",
        "按 μ* 由大到小排序 sorted by μ*, largest first",
    ] {
        assert!(missing_glyphs(t).is_empty(), "{t}");
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn index_bars_odd_data() {
    let d = tmp("index-odd");
    let mut chart = sample_index();
    chart.series[0].values[2] = f64::NAN;
    chart.series[1].values[0] = f64::INFINITY;
    if let Some(h) = chart.series[0].high.as_mut() {
        h[4] = f64::NAN;
    }
    draw_index_bars(&chart, &d, "nan").unwrap();
    assert_written(&d, "nan");
    // NaN sorts last.
    assert_eq!(index_order(&chart).last(), Some(&2));
    let empty = IndexBars {
        parameters: Vec::new(),
        series: Vec::new(),
        ..sample_index()
    };
    draw_index_bars(&empty, &d, "empty").unwrap();
    let mut zeros = sample_index();
    zeros
        .series
        .iter_mut()
        .for_each(|s| s.values.iter_mut().for_each(|v| *v = 0.0));
    zeros.series.iter_mut().for_each(|s| {
        s.low = None;
        s.high = None;
    });
    draw_index_bars(&zeros, &d, "zeros").unwrap();
    let mut bad = sample_index();
    bad.series[1].low = Some(vec![0.0]);
    assert!(matches!(
        draw_index_bars(&bad, &d, "bad"),
        Err(ChartError::InvalidInput(_))
    ));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn log_x_axis_ticks_at_the_values() {
    let xs = [4.0, 8.0, 16.0, 512.0, 8.0];
    let (lo, hi, ticks) = log_x_axis(&xs, 4.0, 512.0);
    assert!(
        lo < 4.0 && lo > 3.0 && hi > 512.0 && hi < 700.0,
        "{lo} {hi}"
    );
    assert_eq!(ticks, vec![4, 8, 16, 512]);
    // Many values are thinned to at most 12 ticks.
    let many: Vec<f64> = (1..=40).map(f64::from).collect();
    assert!(log_x_axis(&many, 1.0, 40.0).2.len() <= 12);
}

/// `sample_line` with an 80 %-style band on every series but the Chongqing core and a
/// low–high bar at 2020 on Wanzhou and Qianjiang (the series with targets).
fn banded_line() -> LineChart {
    let mut chart = sample_line();
    for panel in &mut chart.panels {
        panel.band_label = "80% 预测区间 prediction interval".into();
        panel.error_bar_label = "目标年预测低–高 projected low–high".into();
        for s in &mut panel.series {
            if !s.label.contains("Chongqing core") {
                s.band = Some(Band {
                    low: s
                        .values
                        .iter()
                        .enumerate()
                        .map(|(h, v)| v * (1.0 - 0.01 * h as f64))
                        .collect(),
                    high: s
                        .values
                        .iter()
                        .enumerate()
                        .map(|(h, v)| v * (1.0 + 0.01 * h as f64))
                        .collect(),
                });
            }
            if s.label.contains("Wanzhou") || s.label.contains("Qianjiang") {
                s.error_bars = vec![ErrorBar {
                    year: 2020,
                    low: 0.9 * s.values[6],
                    high: 1.1 * s.values[6],
                }];
            }
        }
    }
    chart
}

#[test]
fn bands_are_shaded_translucently_in_the_series_colour() {
    let chart = banded_line();
    let d = tmp("bands");
    draw_line_chart(&chart, &d, "bands").unwrap();
    assert_written(&d, "bands");
    let svg = std::fs::read_to_string(d.join("bands.svg")).unwrap();
    let colours = series_colours(&chart.panels);
    // One translucent polygon per band and panel, in the colour of its series; none for the
    // band-less Chongqing core (colour 1).
    for (panel, cols) in chart.panels.iter().zip(&colours) {
        for (s, c) in panel.series.iter().zip(cols) {
            let polygon = format!(
                "<polygon opacity=\"0.14\" fill=\"#{:02X}{:02X}{:02X}\"",
                c.0, c.1, c.2
            );
            assert_eq!(
                svg.matches(&polygon).count(),
                if s.band.is_some() {
                    chart.panels.len()
                } else {
                    0
                },
                "{}",
                s.label
            );
        }
    }
    // The first panel's bands come before its first series line (3 px wide), so every line
    // is drawn on top of them.
    let banded = chart.panels[0]
        .series
        .iter()
        .filter(|s| s.band.is_some())
        .count();
    let (last_band, _) = svg
        .match_indices("<polygon opacity=\"0.14\"")
        .nth(banded - 1)
        .unwrap();
    let first_line = svg.find("stroke-width=\"3\"").unwrap();
    assert!(last_band < first_line, "a band is drawn over a line");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn band_and_error_bar_legend_entries() {
    let chart = banded_line();
    let panel = &chart.panels[0];
    let colours = &series_colours(&chart.panels)[0];
    let entries = panel_entries(panel, colours, false);
    let texts: Vec<&str> = entries.iter().map(|e| e.text.as_str()).collect();
    assert!(texts.contains(&"80% 预测区间 prediction interval"));
    assert!(texts.contains(&"目标年预测低–高 projected low–high"));
    assert!(entries
        .iter()
        .any(|e| matches!(e.key, Key::Band { color } if color == super::colour::TARGET_GREY)));
    // No band, or no label: no entry.
    let mut bare = panel.clone();
    bare.series.iter_mut().for_each(|s| s.band = None);
    assert!(!panel_entries(&bare, colours, false)
        .iter()
        .any(|e| matches!(e.key, Key::Band { .. })));
    let mut unnamed = panel.clone();
    unnamed.band_label.clear();
    assert!(!panel_entries(&unnamed, colours, false)
        .iter()
        .any(|e| matches!(e.key, Key::Band { .. })));
    // A single banded series gives the key its colour.
    let mut one = panel.clone();
    one.series.iter_mut().skip(1).for_each(|s| s.band = None);
    assert!(panel_entries(&one, colours, false)
        .iter()
        .any(|e| matches!(e.key, Key::Band { color } if color == colours[0])));
}

#[test]
fn band_segments_break_at_undrawable_years() {
    let s = Series {
        label: "b".into(),
        years: vec![2016, 2014, 2015, 2017, 2018, 2019],
        values: vec![1.0; 6],
        dashed: false,
        band: Some(Band {
            low: vec![3.0, 1.0, 2.0, f64::NAN, 0.0, 9.0],
            high: vec![30.0, 10.0, 20.0, 1.0, 5.0, 6.0],
        }),
        error_bars: Vec::new(),
    };
    // Sorted by year, divided, split at the NaN; low and high put in order.
    let linear = band_segments(&s, 10.0, false, false);
    assert_eq!(
        linear,
        vec![
            vec![(2014.0, 0.1, 1.0), (2015.0, 0.2, 2.0), (2016.0, 0.3, 3.0)],
            vec![(2018.0, 0.0, 0.5), (2019.0, 0.6, 0.9)],
        ]
    );
    // A zero bound breaks a log axis too.
    let log = band_segments(&s, 10.0, true, false);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0], linear[0]);
    assert_eq!(log[1], vec![(2019.0, 0.6, 0.9)]);
    let none = Series { band: None, ..s };
    assert!(band_segments(&none, 1.0, false, false).is_empty());
}

#[test]
fn error_bars_go_beside_stars_and_apart() {
    // (x, top, bottom) px; a star of radius 11 at (100, 50).
    let stars = [((100.0, 50.0), 11.0)];
    let bars = [
        (100.0, 40.0, 80.0),   // passes the star: moved clear of it
        (100.0, 60.0, 90.0),   // overlaps the first: next lane
        (100.0, 200.0, 240.0), // no star at its height: stays at x
        (300.0, 40.0, 80.0),   // another year, no star
    ];
    let x = place_bars(&bars, &stars, 1000.0);
    assert_eq!(x[0], 121.0);
    assert_eq!(x[1], 129.0);
    assert_eq!(x[2], 100.0);
    assert_eq!(x[3], 300.0);
    // Near the right-hand edge of the plot they go to the left.
    let x = place_bars(&bars[..1], &stars, 130.0);
    assert_eq!(x[0], 79.0);
}
