"""Every style of the console in one place. Colours are Radix tokens, so dark mode follows the theme."""

import reflex as rx

SIDEBAR_WIDTH = "15em"
NAVBAR_HEIGHT = "3.5em"
ACCENT = "indigo"

# Phone widths get the drawer menu; the fixed sidebar appears from the "md" breakpoint.
DESKTOP_ONLY = ["none", "none", "flex"]
MOBILE_ONLY = ["flex", "flex", "none"]

base_style = {
    "font_family": "Inter, system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'PingFang SC', 'Hiragino Sans', sans-serif",
}

sidebar = {
    "width": SIDEBAR_WIDTH,
    "min_width": SIDEBAR_WIDTH,
    "height": "100vh",
    # More items than a window's height (root sees 25): they scroll inside the column, on its
    # background, rather than spilling below it onto the page's.
    "overflow_y": "auto",
    "position": "sticky",
    "top": "0",
    "padding": "1em",
    "border_right": f"1px solid {rx.color('gray', 5)}",
    "background_color": rx.color("gray", 2),
}

nav_item = {
    "width": "100%",
    "padding": "0.5em 0.75em",
    "border_radius": "var(--radius-3)",
    "color": rx.color("gray", 12),
    "_hover": {"background_color": rx.color(ACCENT, 4)},
}

nav_item_active = {**nav_item, "background_color": rx.color(ACCENT, 4), "color": rx.color(ACCENT, 11)}

navbar = {
    "box_sizing": "border-box",  # a plain <header>: its padding stays inside the 100% width
    "height": NAVBAR_HEIGHT,
    "padding": "0 1em",
    "border_bottom": f"1px solid {rx.color('gray', 5)}",
    "background_color": rx.color("gray", 1),
    "position": "sticky",
    "top": "0",
    "z_index": "10",
}

content = {
    "box_sizing": "border-box",  # a plain <main>: its padding stays inside the 100% width
    "padding": ["1em", "1em", "2em"],
    "width": "100%",
    "max_width": "75em",
}

card = {"width": "100%"}

auth_card = {"width": "100%", "max_width": "26em", "padding": "1.5em"}

table = {"width": "100%", "overflow_x": "auto"}

# Long names stay on one line, cut with an ellipsis (the cell's title shows the whole text).
table_cell = {"max_width": "16em", "overflow": "hidden", "text_overflow": "ellipsis", "white_space": "nowrap"}

# Headers never break between characters (CJK headers would otherwise stack one glyph a line).
table_head = {"white_space": "nowrap", "word_break": "keep-all"}
