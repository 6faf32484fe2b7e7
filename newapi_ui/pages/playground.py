"""/playground: pick one of your keys and a model it may use, then chat; answers stream in (or come
whole with the stream toggle off). A system prompt and a temperature travel with each call; each
answer can be copied, the last one regenerated."""

import reflex as rx

from newapi_ui.components.forms import labelled
from newapi_ui.i18n import N_, _
from newapi_ui.states.playground import PlaygroundState
from newapi_ui.template import template


def _bubble(msg: rx.Var, index: rx.Var) -> rx.Component:
    mine = msg["role"] == "user"
    return rx.flex(
        rx.box(
            rx.cond(mine, rx.text(msg["content"], white_space="pre-wrap"), rx.markdown(msg["content"])),
            background_color=rx.cond(mine, rx.color("indigo", 4), rx.color("gray", 3)),
            padding="0.6em 0.9em",
            border_radius="var(--radius-4)",
            max_width="85%",
            min_width="0",
            overflow_wrap="anywhere",
            style={"& pre": {"overflow_x": "auto", "max_width": "100%"}},
            class_name=rx.cond(mine, "chat-user", "chat-assistant"),
        ),
        rx.cond(
            mine | PlaygroundState.streaming,
            rx.fragment(),
            rx.tooltip(rx.icon_button(rx.icon("copy", size=14), variant="ghost", size="1", class_name="pg-copy",
                                      aria_label=_("Copy"), on_click=PlaygroundState.copy_message(index)),
                       content=_("Copy")),
        ),
        justify=rx.cond(mine, "end", "start"),
        align="end",
        gap="1",
        width="100%",
    )


def _pickers() -> rx.Component:
    return rx.flex(
        labelled(N_("API key"), rx.select.root(
            rx.select.trigger(id="pg-key", placeholder=_("No enabled key"), max_width="100%"),
            rx.select.content(rx.foreach(PlaygroundState.keys,
                                         lambda k: rx.select.item(k[1], value=k[0], id="pg-key-" + k[0]))),
            value=PlaygroundState.key_id, on_change=PlaygroundState.set_key,
        )),
        labelled(N_("Model"), rx.select.root(
            rx.select.trigger(id="pg-model", placeholder=_("No model available"), max_width="100%"),
            rx.select.content(rx.foreach(PlaygroundState.models, lambda m: rx.select.item(m, value=m))),
            value=PlaygroundState.model, on_change=PlaygroundState.set_model,
        )),
        labelled(N_("Temperature"), rx.input(
            default_value=PlaygroundState.temperature, on_blur=PlaygroundState.set_temperature, id="pg-temperature",
            type="number", min="0", max="2", step="0.1", placeholder=_("Default"), width="7em",
            color_scheme=rx.cond(PlaygroundState.temperature_invalid, "red", "gray"),
            aria_invalid=rx.cond(PlaygroundState.temperature_invalid, "true", "false"),
        ), width="9em"),
        rx.el.label(
            rx.hstack(rx.switch(checked=PlaygroundState.stream, on_change=PlaygroundState.set_stream, id="pg-stream"),
                      rx.text(_("Stream"), size="2"), align="center", spacing="2"),
            style={"padding_bottom": "0.4em"},
        ),
        rx.spacer(),
        rx.hstack(
            rx.button(rx.icon("refresh-cw", size=16), _("Regenerate"), variant="soft",
                      on_click=PlaygroundState.regenerate, disabled=~PlaygroundState.can_regenerate,
                      id="pg-regenerate"),
            rx.button(rx.icon("eraser", size=16), _("Clear"), variant="soft", on_click=PlaygroundState.clear,
                      disabled=PlaygroundState.streaming, id="pg-clear"),
            spacing="2",
        ),
        spacing="3",
        wrap="wrap",
        align="end",
        width="100%",
    )


def _system_prompt() -> rx.Component:
    """Read on blur (as the temperature): leaving the box for Send stores it before the send runs."""
    return labelled(N_("System prompt"), rx.text_area(
        default_value=PlaygroundState.system_prompt, on_blur=PlaygroundState.set_system_prompt,
        id="pg-system", placeholder=_("Optional: instructions sent before the conversation"), rows="2",
        width="100%",
    ), width="100%")


def _composer() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.text_area(name="prompt", id="prompt", placeholder=_("Type a message"), aria_label=_("Type a message"),
                         rows="3", flex="1", min_width="12em", enter_key_submit=True),
            rx.cond(
                PlaygroundState.streaming,
                rx.button(rx.icon("square", size=16), _("Stop"), type="button", color_scheme="red",
                          on_click=PlaygroundState.stop, id="pg-stop"),
                rx.button(rx.icon("send", size=16), _("Send"), type="submit", id="pg-send"),
            ),
            spacing="2",
            align="end",
            width="100%",
        ),
        on_submit=PlaygroundState.send,
        reset_on_submit=False,
        width="100%",
    )


@template("/playground", "Playground", on_load=PlaygroundState.on_load)
def playground_page() -> rx.Component:
    return rx.vstack(
        rx.heading(_("Playground"), size="6"),
        rx.text(_("Calls go through the gateway with the chosen key: they are billed and logged like any other."),
                size="2", color_scheme="gray"),
        _pickers(),
        _system_prompt(),
        rx.card(
            rx.vstack(
                rx.cond(PlaygroundState.messages.length() == 0,
                        rx.text(_("Ask anything to start"), color_scheme="gray", size="2")),
                rx.foreach(PlaygroundState.messages, _bubble),
                rx.cond(PlaygroundState.streaming, rx.spinner(size="2", id="pg-streaming")),
                spacing="3",
                width="100%",
                id="chat-log",
            ),
            width="100%",
            min_height="16em",
        ),
        rx.cond(PlaygroundState.error != "", rx.callout(PlaygroundState.error, icon="triangle-alert",
                                                        color_scheme="red", id="pg-error", width="100%")),
        _composer(),
        spacing="4",
        width="100%",
    )
