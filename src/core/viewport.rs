//! Gallery virtualization: which rows of thumbnails exist in the DOM.
//!
//! A collection can hold thousands of images, and a DOM node (plus a decoded
//! thumbnail) for each would make scrolling slow and memory grow without end.
//! So the gallery is a grid of equal rows, and only the rows near the viewport
//! are rendered: the visible ones plus a few overscan rows above and below,
//! placed `offset_top` pixels down inside a spacer of the full height. The rows
//! just past the rendered ones are named for prefetch. This module is only the
//! arithmetic; every input is clamped, so odd sizes (zero items, a hidden
//! container, scroll past the end) give an empty or shortened window, never a
//! panic.

use std::ops::Range;

/// The gallery's layout: equal tiles in `columns` columns, rows of `row_height` px.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    /// Number of items (thumbnails).
    pub item_count: usize,
    /// Tiles per row (0 is taken as 1).
    pub columns: usize,
    /// Height of one row including the gap below it, in px.
    pub row_height: f64,
}

/// The part of the grid to render for one scroll position.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
    /// First rendered row.
    pub first_row: usize,
    /// One past the last rendered row.
    pub last_row: usize,
    /// Item indices actually on screen.
    pub visible: Range<usize>,
    /// Item indices to put in the DOM: the visible ones plus the overscan rows
    /// above and below.
    pub rendered: Range<usize>,
    /// Item indices in the overscan-many rows just below the rendered ones.
    pub prefetch: Range<usize>,
    /// Distance from the top of the grid to the first rendered row, in px.
    pub offset_top: f64,
}

/// A finite, non-negative number, or 0.
fn non_negative(x: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        0.0
    }
}

impl Grid {
    /// Lays out `item_count` tiles at least `tile_min` px wide, `gap` px apart,
    /// in a container `container_width` px wide. Tiles are stretched to fill
    /// the width and are square, so a row is one tile width plus the gap.
    pub fn fit(container_width: f64, tile_min: f64, gap: f64, item_count: usize) -> Grid {
        let width = non_negative(container_width);
        let gap = non_negative(gap);
        // A tile is at least one pixel wide, so the columns stay finite.
        let tile_min = non_negative(tile_min).max(1.0);
        // `as` saturates, so a huge quotient cannot overflow.
        let columns = (((width + gap) / (tile_min + gap)).floor() as usize).max(1);
        let tile_width = non_negative((width - gap * (columns - 1) as f64) / columns as f64);
        Grid {
            item_count,
            columns,
            row_height: tile_width + gap,
        }
    }

    fn columns(&self) -> usize {
        self.columns.max(1)
    }

    /// Whether rows have a usable height (finite and above 0).
    fn has_height(&self) -> bool {
        self.row_height.is_finite() && self.row_height > 0.0
    }

    /// Number of rows (the last one may be partly filled).
    pub fn rows(&self) -> usize {
        self.item_count.div_ceil(self.columns())
    }

    /// Height of the whole grid in px (0 if rows have no usable height).
    pub fn total_height(&self) -> f64 {
        if self.has_height() {
            self.rows() as f64 * self.row_height
        } else {
            0.0
        }
    }

    /// Item indices of rows `rows`, clamped to the items there are.
    fn items(&self, rows: Range<usize>) -> Range<usize> {
        let cols = self.columns();
        let start = rows.start.saturating_mul(cols).min(self.item_count);
        let end = rows.end.saturating_mul(cols).min(self.item_count);
        start..end.max(start)
    }

    /// The rows and items to render when the viewport, `viewport_height` px
    /// tall, is scrolled `scroll_top` px down the grid, with `overscan_rows`
    /// extra rows above and below. A scroll past either end is clamped so the
    /// window shows the first or last screenful.
    pub fn window(&self, scroll_top: f64, viewport_height: f64, overscan_rows: usize) -> Window {
        let rows = self.rows();
        if rows == 0 || !self.has_height() {
            return Window::default();
        }
        let rh = self.row_height;
        let viewport = non_negative(viewport_height);
        let max_scroll = non_negative(self.total_height() - viewport);
        let scroll = non_negative(scroll_top).min(max_scroll);

        // Rows on screen: [first_visible, end_visible).
        let first_visible = ((scroll / rh).floor() as usize).min(rows - 1);
        let mut end_visible = (((scroll + viewport) / rh).ceil() as usize).min(rows);
        if viewport > 0.0 {
            // Rounding must not hide the row the viewport starts in.
            end_visible = end_visible.max(first_visible + 1);
        }
        let end_visible = end_visible.max(first_visible);

        let first_row = first_visible.saturating_sub(overscan_rows);
        let last_row = end_visible.saturating_add(overscan_rows).min(rows);
        let prefetch_end = last_row.saturating_add(overscan_rows).min(rows);
        Window {
            first_row,
            last_row,
            visible: self.items(first_visible..end_visible),
            rendered: self.items(first_row..last_row),
            prefetch: self.items(last_row..prefetch_end),
            offset_top: first_row as f64 * rh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn grid(item_count: usize, columns: usize, row_height: f64) -> Grid {
        Grid {
            item_count,
            columns,
            row_height,
        }
    }

    #[test]
    fn only_rows_near_the_viewport_are_rendered() {
        let g = grid(10_000, 5, 100.0);
        assert_eq!(g.rows(), 2_000);
        assert_eq!(g.total_height(), 200_000.0);
        let w = g.window(50_000.0, 800.0, 2);
        assert_eq!(
            w,
            Window {
                first_row: 498,
                last_row: 510,
                visible: 2_500..2_540,
                rendered: 2_490..2_550,
                prefetch: 2_550..2_560,
                offset_top: 49_800.0,
            }
        );
        // A scroll in the middle of a row shows that row and a part of one more.
        let w = g.window(50_050.0, 800.0, 0);
        assert_eq!((w.first_row, w.last_row), (500, 509));
        assert_eq!(w.visible, w.rendered);
    }

    #[test]
    fn window_is_clamped_at_both_ends() {
        let g = grid(103, 10, 50.0); // 11 rows, 550 px.
                                     // At the top: nothing above row 0.
        let top = g.window(-300.0, 200.0, 3);
        assert_eq!((top.first_row, top.last_row), (0, 7));
        assert_eq!(top.visible, 0..40);
        assert_eq!(top.rendered, 0..70);
        assert_eq!(top.prefetch, 70..100);
        assert_eq!(top.offset_top, 0.0);
        // Past the end: the last screenful, the last row partly filled.
        let end = g.window(1e9, 200.0, 3);
        assert_eq!((end.first_row, end.last_row), (4, 11));
        assert_eq!(end.visible, 70..103);
        assert_eq!(end.rendered, 40..103);
        assert_eq!(end.prefetch, 103..103);
        assert_eq!(end.offset_top, 200.0);
        // A viewport taller than the grid shows everything.
        assert_eq!(g.window(0.0, 10_000.0, 1).visible, 0..103);
        // Degenerate inputs: no panic, an empty or minimal window.
        assert_eq!(grid(0, 4, 100.0).window(100.0, 500.0, 2), Window::default());
        assert_eq!(grid(10, 4, 0.0).window(0.0, 500.0, 2), Window::default());
        assert_eq!(
            grid(10, 4, f64::NAN).window(0.0, 500.0, 2),
            Window::default()
        );
        let zero_height = g.window(100.0, 0.0, 1);
        assert!(zero_height.visible.is_empty());
        assert_eq!(zero_height.rendered, 10..30);
        let no_columns = grid(3, 0, 10.0).window(f64::NAN, f64::INFINITY, usize::MAX);
        assert_eq!(no_columns.rendered, 0..3);
        assert_eq!(grid(3, 0, 10.0).rows(), 3);
    }

    #[test]
    fn fit_computes_columns_and_row_height() {
        let g = Grid::fit(1_000.0, 150.0, 10.0, 40);
        assert_eq!(g.columns, 6); // floor(1010 / 160)
        let tile = (1_000.0 - 50.0) / 6.0;
        assert!((g.row_height - (tile + 10.0)).abs() < 1e-9);
        assert_eq!(g.rows(), 7);
        // Exactly two tiles fit.
        let g = Grid::fit(310.0, 150.0, 10.0, 5);
        assert_eq!((g.columns, g.row_height), (2, 160.0));
        // Narrower than one tile: still one column, as wide as the container.
        let g = Grid::fit(100.0, 150.0, 10.0, 5);
        assert_eq!((g.columns, g.row_height), (1, 110.0));
        // A hidden container or nonsense sizes: one column, no panic.
        let g = Grid::fit(0.0, 0.0, 0.0, 5);
        assert_eq!((g.columns, g.row_height), (1, 0.0));
        let g = Grid::fit(f64::NAN, -5.0, f64::INFINITY, 5);
        assert_eq!(g.columns, 1);
        assert!(g.row_height.is_finite());
    }

    proptest! {
        #[test]
        fn rendered_covers_visible_and_stays_in_bounds(
            item_count in 0usize..5_000,
            width in -100.0f64..4_000.0,
            tile_min in 0.0f64..400.0,
            gap in 0.0f64..40.0,
            scroll in -1_000.0f64..1_000_000.0,
            viewport in -10.0f64..3_000.0,
            overscan in 0usize..6,
        ) {
            let g = Grid::fit(width, tile_min, gap, item_count);
            let w = g.window(scroll, viewport, overscan);
            let n = item_count;
            prop_assert!(w.visible.start <= w.visible.end && w.visible.end <= n);
            prop_assert!(w.rendered.start <= w.visible.start);
            prop_assert!(w.visible.end <= w.rendered.end && w.rendered.end <= n);
            prop_assert!(w.first_row <= w.last_row && w.last_row <= g.rows());
            prop_assert!(w.prefetch.start == w.rendered.end || w.prefetch.is_empty());
            prop_assert!(w.prefetch.start <= w.prefetch.end && w.prefetch.end <= n);
            prop_assert!(w.offset_top >= 0.0 && w.offset_top <= g.total_height());
            // No more than the visible rows plus overscan on each side.
            let rendered_rows = w.last_row - w.first_row;
            let visible_rows = w.visible.len().div_ceil(g.columns) + 1;
            prop_assert!(rendered_rows <= visible_rows + 2 * overscan);
            // Something is on screen whenever there is something to show.
            if n > 0 && viewport > 0.0 && g.row_height > 0.0 {
                prop_assert!(!w.visible.is_empty());
            }
        }
    }
}
