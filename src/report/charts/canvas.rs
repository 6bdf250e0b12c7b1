//! The drawing surface: [`Canvas`] wraps a plotters area in logical pixels (1600×900) with
//! lines, shapes and text placed the same way on the SVG and the PNG backend; `save` renders a
//! [`Figure`] to both files (the PNG at 2× and box-filtered down). Also the text styles, the
//! header every chart starts with, [`Rect`] and the target star.

use std::path::Path;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, FontTransform, RGBAColor};

use super::colour::{solid, AXIS, INK, MUTED};
use super::font::{ensure_font, synthesized, Glyph, Metrics, FONT_FAMILY, SCRIPT_SCALE};
use super::ChartError;

/// Output size in pixels (PNG and SVG viewBox).
pub(super) const WIDTH: u32 = 1600;
pub(super) const HEIGHT: u32 = 900;
/// PNG supersampling factor: drawn at 2× and averaged down for anti-aliasing.
pub(super) const SUPERSAMPLE: u32 = 2;

/// A figure that can draw itself on any plotters backend.
pub(super) trait Figure {
    fn render<DB: DrawingBackend>(&self, c: &Canvas<'_, DB>) -> Result<(), ChartError>;
}

pub(super) fn draw_err<E: std::error::Error + Send + Sync>(
    e: DrawingAreaErrorKind<E>,
) -> ChartError {
    ChartError::Draw(e.to_string())
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ChartError + '_ {
    move |source| ChartError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Renders `fig` to SVG (at 1×) and PNG (at 2×, averaged down), then writes both.
/// Both are rendered in memory first so that a drawing error leaves no partial file.
pub(super) fn save<F: Figure>(fig: &F, dir: &Path, stem: &str) -> Result<(), ChartError> {
    if stem.is_empty() || stem.contains(['/', '\\']) || stem == "." || stem == ".." {
        return Err(ChartError::InvalidInput(format!(
            "stem {stem:?} must be a plain file name"
        )));
    }
    ensure_font()?;
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        fig.render(&Canvas {
            area: &root,
            s: 1.0,
            svg: true,
        })?;
        root.present().map_err(draw_err)?;
    }

    let (bw, bh) = (WIDTH * SUPERSAMPLE, HEIGHT * SUPERSAMPLE);
    let mut big = vec![0u8; (bw * bh * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut big, (bw, bh)).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        fig.render(&Canvas {
            area: &root,
            s: f64::from(SUPERSAMPLE),
            svg: false,
        })?;
        root.present().map_err(draw_err)?;
    }
    let small = downsample(&big, WIDTH, HEIGHT, SUPERSAMPLE);

    let svg_path = dir.join(format!("{stem}.svg"));
    std::fs::write(&svg_path, svg.as_bytes()).map_err(io_err(&svg_path))?;

    let png_path = dir.join(format!("{stem}.png"));
    let png_err = |e: &dyn std::fmt::Display| ChartError::Png {
        path: png_path.clone(),
        message: e.to_string(),
    };
    let mut png = BitMapBackend::new(&png_path, (WIDTH, HEIGHT));
    png.blit_bitmap((0, 0), (WIDTH, HEIGHT), &small)
        .map_err(|e| png_err(&e))?;
    png.present().map_err(|e| png_err(&e))?;
    Ok(())
}

/// Box-filters an RGB image of size (w·f)×(h·f) down to w×h.
pub(super) fn downsample(big: &[u8], w: u32, h: u32, f: u32) -> Vec<u8> {
    let (w, h, f) = (w as usize, h as usize, f as usize);
    let n = (f * f) as u32;
    let stride = w * f * 3;
    let mut out = vec![0u8; w * h * 3];
    // Plain index loops over a row of sums: this runs in unoptimised test builds too,
    // where iterator adapters would cost seconds per image.
    let mut acc = vec![0u32; stride];
    let mut o = 0;
    for y in 0..h {
        acc.fill(0);
        let mut src = y * f * stride;
        for _ in 0..f {
            let row = &big[src..src + stride];
            let mut i = 0;
            while i < stride {
                acc[i] += u32::from(row[i]);
                i += 1;
            }
            src += stride;
        }
        let mut i = 0;
        while i < stride {
            let mut sum = [0u32; 3];
            for _ in 0..f {
                sum[0] += acc[i];
                sum[1] += acc[i + 1];
                sum[2] += acc[i + 2];
                i += 3;
            }
            out[o] = ((sum[0] + n / 2) / n) as u8;
            out[o + 1] = ((sum[1] + n / 2) / n) as u8;
            out[o + 2] = ((sum[2] + n / 2) / n) as u8;
            o += 3;
        }
    }
    out
}

pub(super) type Res = Result<(), ChartError>;

/// Drawing surface in logical pixels (1600×900); `s` scales to device pixels.
pub(super) struct Canvas<'a, DB: DrawingBackend> {
    pub(super) area: &'a DrawingArea<DB, Shift>,
    /// Device pixels per logical pixel.
    pub(super) s: f64,
    /// SVG backend (text baseline placement differs, see [`Canvas::text`]).
    pub(super) svg: bool,
}

/// A device coordinate, saturated like [`Canvas::d`] (plotters adds glyph offsets to it).
pub(super) fn dev(v: f64) -> i32 {
    v.clamp(-1.0e6, 1.0e6) as i32
}

/// Horizontal alignment of a text run.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Align {
    Left,
    Center,
    Right,
}

/// Text appearance.
#[derive(Clone, Copy)]
pub(super) struct Font {
    pub(super) size: f64,
    pub(super) color: RGBColor,
    pub(super) bold: bool,
}

impl Font {
    pub(super) const fn new(size: f64, color: RGBColor) -> Self {
        Font {
            size,
            color,
            bold: false,
        }
    }
    pub(super) const fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub(super) const fn sized(mut self, size: f64) -> Self {
        self.size = size;
        self
    }
}

impl<DB: DrawingBackend> Canvas<'_, DB> {
    pub(super) fn d(&self, v: f64) -> i32 {
        let v = (v * self.s).round();
        // Saturate rather than wrap on absurd coordinates (NaN maps to 0).
        v.clamp(-1.0e6, 1.0e6) as i32
    }

    pub(super) fn pt(&self, (x, y): (f64, f64)) -> (i32, i32) {
        (self.d(x), self.d(y))
    }

    pub(super) fn width_px(&self, w: f64) -> u32 {
        (w * self.s).round().max(1.0) as u32
    }

    pub(super) fn line(&self, pts: &[(f64, f64)], color: RGBAColor, width: f64) -> Res {
        if pts.len() < 2 {
            return Ok(());
        }
        let v: Vec<_> = pts.iter().map(|&p| self.pt(p)).collect();
        let style = ShapeStyle::from(color).stroke_width(self.width_px(width));
        self.area
            .draw(&PathElement::new(v, style))
            .map_err(draw_err)
    }

    pub(super) fn dashed(
        &self,
        pts: &[(f64, f64)],
        color: RGBAColor,
        width: f64,
        dash: f64,
        gap: f64,
    ) -> Res {
        if pts.len() < 2 {
            return Ok(());
        }
        let v: Vec<_> = pts.iter().map(|&p| self.pt(p)).collect();
        let style = ShapeStyle::from(color).stroke_width(self.width_px(width));
        self.area
            .draw(&DashedPathElement::new(
                v,
                self.d(dash).max(1),
                self.d(gap).max(1),
                style,
            ))
            .map_err(draw_err)
    }

    pub(super) fn polygon(&self, pts: &[(f64, f64)], color: RGBAColor) -> Res {
        if pts.len() < 3 {
            return Ok(());
        }
        let v: Vec<_> = pts.iter().map(|&p| self.pt(p)).collect();
        self.area
            .draw(&Polygon::new(v, ShapeStyle::from(color).filled()))
            .map_err(draw_err)
    }

    pub(super) fn fill_rect(&self, x0: f64, y0: f64, x1: f64, y1: f64, color: RGBAColor) -> Res {
        self.area
            .draw(&Rectangle::new(
                [self.pt((x0, y0)), self.pt((x1, y1))],
                ShapeStyle::from(color).filled(),
            ))
            .map_err(draw_err)
    }

    /// The frame of a plot that has nothing to draw, with "无有效数据 no valid data" centred
    /// at `at`.
    pub(super) fn no_valid_data(&self, frame: Rect, at: (f64, f64), font: Font) -> Res {
        self.stroke_rect(frame.x0, frame.y0, frame.x1, frame.y1, solid(AXIS), 1.0)?;
        self.text("无有效数据 no valid data", at.0, at.1, font, Align::Center)
    }

    pub(super) fn stroke_rect(
        &self,
        x0: f64,
        y0: f64,
        x1: f64,
        y1: f64,
        color: RGBAColor,
        w: f64,
    ) -> Res {
        self.line(
            &[(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)],
            color,
            w,
        )
    }

    pub(super) fn circle(
        &self,
        c: (f64, f64),
        r: f64,
        fill: Option<RGBAColor>,
        stroke: Option<(RGBAColor, f64)>,
    ) -> Res {
        let r_dev = self.d(r).max(1);
        if let Some(f) = fill {
            self.area
                .draw(&Circle::new(
                    self.pt(c),
                    r_dev,
                    ShapeStyle::from(f).filled(),
                ))
                .map_err(draw_err)?;
        }
        if let Some((col, w)) = stroke {
            self.area
                .draw(&Circle::new(
                    self.pt(c),
                    r_dev,
                    ShapeStyle::from(col).stroke_width(self.width_px(w)),
                ))
                .map_err(draw_err)?;
        }
        Ok(())
    }

    pub(super) fn style(&self, font: Font) -> TextStyle<'static> {
        let style = if font.bold && self.svg {
            FontStyle::Bold
        } else {
            FontStyle::Normal
        };
        TextStyle {
            font: (FONT_FAMILY, font.size * self.s, style).into_font(),
            color: font.color.to_backend_color(),
            pos: Pos::new(HPos::Left, VPos::Top),
        }
    }

    /// How far below the anchor of a `VPos::Top` text plotters puts the baseline, as a
    /// fraction of the font size: the SVG backend writes `dy="0.76em"` with
    /// `font-size = size/1.24`; the ab_glyph rasteriser puts the baseline at `size/2`.
    pub(super) fn baseline_shift(&self) -> f64 {
        if self.svg {
            0.76 / 1.24
        } else {
            0.5
        }
    }

    /// [`layout`](Self::layout) for the PNG backend; `None` for SVG, where the viewer's font
    /// lays text out.
    fn png_layout(&self, text: &str, font: Font) -> Option<(Vec<Glyph>, f64)> {
        if self.svg {
            None
        } else {
            self.layout(text, font)
        }
    }

    /// Glyph layout of `text` in device pixels and its total advance. None only if the
    /// embedded font's metrics are unreadable.
    pub(super) fn layout(&self, text: &str, font: Font) -> Option<(Vec<Glyph>, f64)> {
        let m = Metrics::get()?;
        let k = font.size * self.s / m.height;
        let em = 1000.0 * k;
        let mut pen = 0.0;
        let mut out = Vec::with_capacity(text.len());
        for ch in text.chars() {
            if let Some((base, rise)) = synthesized(ch) {
                // Small raised/lowered copy of the base glyph, spaced like the font's own ⁴.
                let (adv, lsb) = m.glyph(base);
                out.push(Glyph {
                    ch: base,
                    pen: pen + 0.04 * em,
                    lsb: lsb * k * SCRIPT_SCALE,
                    scale: SCRIPT_SCALE,
                    rise: rise * em,
                });
                pen += adv * k * SCRIPT_SCALE + 0.1 * em;
                continue;
            }
            let (adv, lsb) = m.glyph(ch);
            out.push(Glyph {
                ch,
                pen,
                lsb: lsb * k,
                scale: 1.0,
                rise: 0.0,
            });
            pen += adv * k;
        }
        Some((out, pen))
    }

    /// Draws `text` with its baseline at `y` (logical px), aligned at `x`.
    pub(super) fn text(&self, text: &str, x: f64, y: f64, font: Font, align: Align) -> Res {
        if text.is_empty() {
            return Ok(());
        }
        let Some((glyphs, total)) = self.png_layout(text, font) else {
            // SVG: one <text> element; the viewer's font does the layout.
            let h = match align {
                Align::Left => HPos::Left,
                Align::Center => HPos::Center,
                Align::Right => HPos::Right,
            };
            let style = self.style(font).pos(Pos::new(h, VPos::Top));
            let top = y - self.baseline_shift() * font.size;
            return self
                .area
                .draw_text(text, &style, self.pt((x, top)))
                .map_err(draw_err);
        };
        // PNG: glyph by glyph, each shifted by its side bearing (see [`Metrics`]).
        let start = x * self.s
            - match align {
                Align::Left => 0.0,
                Align::Center => total / 2.0,
                Align::Right => total,
            };
        let baseline = y * self.s;
        // Faux bold: the subset has only the Regular weight; overprint one device pixel right.
        let passes: &[f64] = if font.bold { &[0.0, 1.0] } else { &[0.0] };
        for &dx in passes {
            for g in &glyphs {
                if g.ch.is_whitespace() {
                    continue;
                }
                let style = self.style(font.sized(font.size * g.scale));
                let size = font.size * g.scale * self.s;
                let gx = (start + g.pen).round() + g.lsb.floor() + dx;
                let gy = (baseline - g.rise - self.baseline_shift() * size).round();
                self.area
                    .draw_text(g.ch.encode_utf8(&mut [0u8; 4]), &style, (dev(gx), dev(gy)))
                    .map_err(draw_err)?;
            }
        }
        Ok(())
    }

    /// Draws `text` rotated to read bottom-to-top, centred on `y`, baseline at `x`.
    pub(super) fn text_up(&self, text: &str, x: f64, y: f64, font: Font) -> Res {
        if text.is_empty() {
            return Ok(());
        }
        let Some((glyphs, total)) = self.png_layout(text, font) else {
            let style = self
                .style(font)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Center, VPos::Top));
            let left = x - self.baseline_shift() * font.size;
            return self
                .area
                .draw_text(text, &style, self.pt((left, y)))
                .map_err(draw_err);
        };
        // Rotate270 maps the run's x axis to device −y (glyph i starts `pen` above the
        // bottom) and its y axis to device +x (the baseline is a vertical line at `x`).
        let bottom = y * self.s + total / 2.0;
        let baseline = x * self.s;
        for g in &glyphs {
            if g.ch.is_whitespace() {
                continue;
            }
            let style = self
                .style(font.sized(font.size * g.scale))
                .transform(FontTransform::Rotate270);
            let size = font.size * g.scale * self.s;
            let gx = (baseline - g.rise - self.baseline_shift() * size).round();
            let gy = (bottom - g.pen).round() - g.lsb.floor();
            self.area
                .draw_text(g.ch.encode_utf8(&mut [0u8; 4]), &style, (dev(gx), dev(gy)))
                .map_err(draw_err)?;
        }
        Ok(())
    }

    /// Advance width of `text` in logical pixels.
    pub(super) fn text_width(&self, text: &str, font: Font) -> Result<f64, ChartError> {
        if text.is_empty() {
            return Ok(0.0);
        }
        if let Some((_, total)) = self.layout(text, font) {
            return Ok(total / self.s);
        }
        let (w, _) = self
            .area
            .estimate_text_size(text, &self.style(font))
            .map_err(draw_err)?;
        Ok(f64::from(w) / self.s)
    }

    /// The largest size ≤ `font.size` (down to `min`) at which `text` fits in `max_w`.
    pub(super) fn fit(
        &self,
        text: &str,
        font: Font,
        max_w: f64,
        min: f64,
    ) -> Result<Font, ChartError> {
        let w = self.text_width(text, font)?;
        if w <= max_w || w <= 0.0 {
            return Ok(font);
        }
        Ok(font.sized((font.size * max_w / w).max(min)))
    }
}

pub(super) const MARGIN: f64 = 28.0;
pub(super) const TITLE: Font = Font::new(36.0, INK).bold();
pub(super) const SUBTITLE: Font = Font::new(22.0, MUTED);
pub(super) const PANEL_TITLE: Font = Font::new(25.0, INK).bold();
pub(super) const TICK: Font = Font::new(19.0, MUTED);
pub(super) const AXIS_LABEL: Font = Font::new(21.0, INK);
pub(super) const LEGEND: Font = Font::new(19.0, INK);

/// Draws the title and subtitle; returns the y where content may start.
pub(super) fn draw_header<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    title: &str,
    subtitle: &str,
) -> Result<f64, ChartError> {
    let max_w = f64::from(WIDTH) - 2.0 * MARGIN;
    let tf = c.fit(title, TITLE, max_w, 18.0)?;
    c.text(title, MARGIN, 50.0, tf, Align::Left)?;
    if subtitle.trim().is_empty() {
        return Ok(70.0);
    }
    let sf = c.fit(subtitle, SUBTITLE, max_w, 14.0)?;
    c.text(subtitle, MARGIN, 84.0, sf, Align::Left)?;
    Ok(100.0)
}

/// Five-pointed star centred at `c` with outer radius `r` (logical px).
pub(super) fn star_points(c: (f64, f64), r: f64) -> Vec<(f64, f64)> {
    (0..10)
        .map(|i| {
            let a = -std::f64::consts::FRAC_PI_2 + i as f64 * std::f64::consts::PI / 5.0;
            let rr = if i % 2 == 0 { r } else { r * 0.42 };
            (c.0 + rr * a.cos(), c.1 + rr * a.sin())
        })
        .collect()
}

pub(super) fn draw_star<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    at: (f64, f64),
    r: f64,
    color: RGBColor,
) -> Res {
    // A white halo first so the star reads on top of lines of the same colour.
    c.polygon(&star_points(at, r + 2.5), solid(WHITE))?;
    c.polygon(&star_points(at, r + 1.2), solid(INK))?;
    c.polygon(&star_points(at, r - 0.3), solid(color))
}

/// A vertical low–high bar at `x` from `y_low` to `y_high` (logical px) with short caps, on a
/// white halo so it reads over lines and bands.
pub(super) fn draw_error_bar<DB: DrawingBackend>(
    c: &Canvas<'_, DB>,
    x: f64,
    y_low: f64,
    y_high: f64,
    color: RGBColor,
) -> Res {
    let cap = 5.0;
    let shape = [
        [(x, y_low), (x, y_high)],
        [(x - cap, y_low), (x + cap, y_low)],
        [(x - cap, y_high), (x + cap, y_high)],
    ];
    for (col, w) in [(solid(WHITE), 5.0), (solid(color), 2.5)] {
        for seg in &shape {
            c.line(seg, col, w)?;
        }
    }
    Ok(())
}

/// Rectangle in logical px.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rect {
    pub(super) x0: f64,
    pub(super) y0: f64,
    pub(super) x1: f64,
    pub(super) y1: f64,
}

impl Rect {
    pub(super) fn intersects(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }
    pub(super) fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }
    /// Whether the disc at `c` with radius `r` touches this rectangle.
    pub(super) fn hits_disc(&self, c: (f64, f64), r: f64) -> bool {
        let nx = c.0.clamp(self.x0, self.x1);
        let ny = c.1.clamp(self.y0, self.y1);
        (nx - c.0).powi(2) + (ny - c.1).powi(2) < r * r
    }
    /// Grows the rectangle to hold the disc at `c` with radius `r` and a `margin`.
    pub(super) fn include_disc(&mut self, c: (f64, f64), r: f64, margin: f64) {
        self.x0 = self.x0.min(c.0 - r - margin);
        self.y0 = self.y0.min(c.1 - r - margin);
        self.x1 = self.x1.max(c.0 + r + margin);
        self.y1 = self.y1.max(c.1 + r + margin);
    }
    /// Whether the point `p` lies in the rectangle (edges included).
    pub(super) fn contains(&self, p: (f64, f64)) -> bool {
        p.0 >= self.x0 && p.0 <= self.x1 && p.1 >= self.y0 && p.1 <= self.y1
    }
}

/// Distance from point `p` to the nearest point of rectangle `r` (0 inside).
pub(super) fn rect_dist(r: &Rect, p: (f64, f64)) -> f64 {
    let nx = p.0.clamp(r.x0, r.x1);
    let ny = p.1.clamp(r.y0, r.y1);
    (nx - p.0).hypot(ny - p.1)
}
