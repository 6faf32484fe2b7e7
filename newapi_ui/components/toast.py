"""The toaster every page shows; handlers return `rx.toast.success/error(...)` events into it."""

import reflex as rx


def toaster() -> rx.Component:
    return rx.toast.provider(position="top-center", rich_colors=True, close_button=True)
