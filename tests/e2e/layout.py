"""What a page must be on a phone, measured in the browser: shared by the walk over every page
(test_phone_layout.py) and the deputy's journey on a phone (test_phone_journey.py).

On a phone a page has a problem when
(a) the document is wider than the viewport (the page itself scrolls sideways);
(b) an element's own text of eight or more characters is laid out narrower than four characters
    (a Chinese title squeezed into a table cell wraps one character a line); text inside a box
    that scrolls sideways is held to the same measure; visually hidden text is left out (a
    .visually-hidden element, or anything inside a box clipped to a pixel, such as the header
    row of a table shown as cards);
(c) two elements share an id;
(d) a visible button, input, select, summary or link of the navigation menu (with the menu open)
    is less than 44 px high: a checkbox or radio button counts with its label, the target a
    thumb actually hits.
On a desktop only (a) and (c) apply. Every <details> on the page (the navigation menu among
them) is opened for the measure and closed again afterwards, so a journey can go on from there.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

PHONE: dict[str, Any] = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 3,
}
DESKTOP: dict[str, Any] = {"viewport": {"width": 1280, "height": 800}}
MIN_TAP_HEIGHT = 44
MIN_TEXT_CHARACTERS = 8  # text this long ...
MIN_TEXT_WIDTH_EM = 4  # ... is laid out at least this many characters wide

# One walk over the page as it is: returns a list of problems, each a line of text.
CHECK_PAGE_JS = """([phone, minTap, minChars, minWidthEm]) => {
    const problems = [];
    const viewport = document.documentElement.clientWidth;
    const describe = (element) => {
        let name = element.tagName.toLowerCase();
        if (element.id) name += '#' + element.id;
        const classes = (element.getAttribute('class') || '').trim().split(/\\s+/).filter(Boolean);
        if (classes.length) name += '.' + classes.join('.');
        const text = (element.innerText || element.textContent || element.value || '')
            .replace(/\\s+/g, ' ').trim();
        return text ? `${name} "${text.slice(0, 24)}"` : name;
    };
    // inside a box clipped to a pixel: the .visually-hidden technique, also used by the CSS
    // for the header row of a table shown as cards on a phone
    const clippedAway = (element) => {
        for (let node = element.parentElement; node && node !== document.body; node = node.parentElement) {
            if (getComputedStyle(node).overflow !== 'hidden') continue;
            const box = node.getBoundingClientRect();
            if (box.width <= 1 || box.height <= 1) return true;
        }
        return false;
    };
    const shown = (element) => {
        if (element.closest('.visually-hidden')) return false;
        if (element.checkVisibility && !element.checkVisibility({checkOpacity: true, checkVisibilityCSS: true})) {
            return false;
        }
        const box = element.getBoundingClientRect();
        return box.width > 1 && box.height > 1 && !clippedAway(element);
    };

    // (c) duplicate ids
    const seen = new Map();
    for (const element of document.querySelectorAll('[id]')) {
        seen.set(element.id, (seen.get(element.id) || 0) + 1);
    }
    for (const [id, count] of seen) {
        if (count > 1) problems.push(`id "${id}" is used ${count} times`);
    }

    // open every <details> (the navigation menu among them): what it holds must fit as well
    const closed = [...document.querySelectorAll('details')].filter((details) => !details.open);
    for (const details of closed) details.open = true;
    try {
        // (a) the page scrolls sideways
        const width = document.documentElement.scrollWidth;
        if (width > viewport) {
            const sticking = (element) => element.getBoundingClientRect().right > viewport + 0.5;
            const wide = [...document.body.querySelectorAll('*')]
                .filter((element) => shown(element) && sticking(element))
                .filter((element) => !element.parentElement || !sticking(element.parentElement))
                .slice(0, 5).map((element) =>
                    `${describe(element)} (right edge ${Math.round(element.getBoundingClientRect().right)} px)`);
            problems.push(`page is ${width} px wide in a ${viewport} px viewport; sticking out: ${wide.join('; ')}`);
        }
        if (!phone) return problems;

        // (b) text squeezed narrower than four characters
        for (const element of document.body.querySelectorAll('*')) {
            const own = [...element.childNodes]
                .filter((node) => node.nodeType === Node.TEXT_NODE)
                .map((node) => node.textContent).join('').replace(/\\s+/g, ' ').trim();
            if ([...own].length < minChars || !shown(element)) continue;
            const fontSize = parseFloat(getComputedStyle(element).fontSize);
            const box = element.getBoundingClientRect();
            if (box.width < minWidthEm * fontSize) {
                problems.push(`text squeezed to ${Math.round(box.width)} px at ${fontSize} px a character: ${describe(element)}`);
            }
        }

        // (d) tap targets
        const targets = document.querySelectorAll(
            'button, input:not([type=hidden]), select, summary, .nav-menu nav a');
        for (const element of targets) {
            if (!shown(element)) continue;
            let height = element.getBoundingClientRect().height;
            if (element.matches('input[type=checkbox], input[type=radio]')) {
                // the label is part of the target: tapping it ticks the box
                for (const label of element.labels || []) {
                    height = Math.max(height, label.getBoundingClientRect().height);
                }
            }
            if (height < minTap - 0.5) {
                problems.push(`tap target ${Math.round(height)} px high: ${describe(element)}`);
            }
        }
        return problems;
    } finally {
        for (const details of closed) details.open = false;
    }
}"""


def layout_problems(page: Page, *, phone: bool) -> list[str]:
    """Everything wrong with the page as it is now (see the module's docstring)."""
    arguments = [phone, MIN_TAP_HEIGHT, MIN_TEXT_CHARACTERS, MIN_TEXT_WIDTH_EM]
    problems: list[str] = page.evaluate(CHECK_PAGE_JS, arguments)
    return problems
