"""The datebook in Chromium, used as a person would: clicking and typing.

- contacts created, refused (with the input kept), edited and deleted; an appointment
  refused by a check across two fields, then saved;
- the import's progress bar reaching 100 % while another window of the app is used;
- two windows on the app: a form saved in one, and the other's list follows without a
  reload.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .conftest import Serve, screenshot, watch

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

pytestmark = pytest.mark.browser


def flash(page: Page) -> str:
    """The flash message the page shows (waits for one)."""
    text: str = page.locator(".flash").inner_text()
    return text


def test_contacts_and_appointments_by_clicking_and_typing(
    serve: Serve, context: BrowserContext
) -> None:
    from playwright.sync_api import expect

    running = serve("datebook")
    page = context.new_page()
    watched = watch(page)
    page.goto(running.url + "contacts")
    contacts = page.locator("#contact-list")

    # Create.
    page.click("text=New contact")
    page.fill("#contact-name", "Ada Lovelace")
    page.fill("#contact-email", "ada@example.com")
    page.fill("#contact-birthday", "1815-12-10")
    page.click("button:text('Save')")
    assert flash(page) == "Saved the contact “Ada Lovelace”."
    expect(contacts).to_contain_text("ada@example.com")
    expect(contacts).to_contain_text("10 Dec 1815")

    # Refused: the name is taken. Only the database knows, so the browser sends the form
    # and the page comes back with the message at the field and the input kept.
    page.click("text=New contact")
    page.fill("#contact-name", "ada lovelace")
    page.fill("#contact-phone", "+44 20 7946 0000")
    page.click("button:text('Save')")
    expect(page.locator(".field.invalid #contact-name")).to_have_value("ada lovelace")
    expect(page.locator("#contact-name-error")).to_have_text("Another contact has that name.")
    expect(page.locator(".form-errors")).to_contain_text("Name: Another contact has that name.")
    expect(page.locator("#contact-phone")).to_have_value("+44 20 7946 0000")
    assert (running.url + "contacts/new", 422) in watched.statuses
    screenshot(page, "datebook-validation-error")
    page.fill("#contact-name", "Ada King")
    page.click("button:text('Save')")
    assert flash(page) == "Saved the contact “Ada King”."
    expect(contacts.locator("tbody tr")).to_have_count(2)

    # Edit: the form shows the record; the change is saved.
    page.click("#contact-list a:text('Ada King')")
    expect(page.locator("#contact-phone")).to_have_value("+44 20 7946 0000")
    page.fill("#contact-email", "ada.king@example.com")
    page.click("button:text('Save')")
    assert flash(page) == "Saved the contact “Ada King”."
    expect(contacts).to_contain_text("ada.king@example.com")

    # Delete: asked first, then gone.
    page.click("#contact-list a:text('Ada King')")
    page.click("text=Delete…")
    expect(page.locator("h1")).to_have_text("Delete this contact?")
    screenshot(page, "datebook-delete")
    page.click("button:text('Delete')")
    assert flash(page) == "Deleted the contact “Ada King”."
    expect(contacts.locator("tbody tr")).to_have_count(1)
    expect(contacts).not_to_contain_text("Ada King")

    # An appointment that ends before it starts is refused; the typed values stay.
    page.click("nav >> text=Appointments")
    page.click("text=New appointment")
    page.fill("#appointment-title", "Tea")
    page.fill("#appointment-day", "2031-06-01")
    page.fill("#appointment-start", "15:00")
    page.fill("#appointment-finish", "14:00")
    page.fill("#appointment-contact", "Ada Lovelace")
    page.click("button:text('Save')")
    expect(page.locator("#appointment-finish-error")).to_have_text("End it after it starts.")
    expect(page.locator("#appointment-title")).to_have_value("Tea")
    expect(page.locator("#appointment-contact")).to_have_value("Ada Lovelace")
    page.fill("#appointment-finish", "16:30")
    page.click("button:text('Save')")
    assert flash(page) == "Saved the appointment “Tea”."
    expect(page.locator("#appointment-list")).to_contain_text("15:00-16:30 Tea with Ada Lovelace")
    screenshot(page, "datebook-appointments-saved")
    assert watched.errors(422) == [], running.log()


def test_the_import_progress_bar_reaches_100_percent_while_another_window_works(
    serve: Serve, context: BrowserContext
) -> None:
    from playwright.sync_api import expect

    # 500 rows are 20 steps of 25; the pause after each makes the import last 3 s, long
    # enough to use another window meanwhile.
    running = serve("datebook", "--import-pause", "0.15")
    rows = "".join(f"Person {n:03d},person{n}@example.com,,,\n" for n in range(500))
    data = ("name,email,phone,birthday,notes\n" + rows).encode()
    importer = context.new_page()
    other = context.new_page()
    watched = [watch(importer), watch(other)]

    importer.goto(running.url + "contacts/import")
    importer.set_input_files(
        "#importform-file", files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": data}]
    )
    importer.click("button:text('Read the file')")
    assert flash(importer) == "Read 500 rows from people.csv."
    importer.click("button:text('Start the import')")
    bar = "document.getElementById('progress')"
    importer.wait_for_function(f"{bar}.value > 0")

    # Meanwhile, in another window: a task is added.
    other.goto(running.url + "tasks/new")
    other.fill("#task-title", "Call the new contacts")
    other.click("button:text('Save')")
    assert flash(other) == "Saved the task “Call the new contacts”."
    other.wait_for_load_state()
    value, maximum = importer.evaluate(f"[{bar}.value, {bar}.max]")
    assert 0 < value < maximum == 500, "the other window was served while the import ran"
    screenshot(importer, "datebook-import-running")
    other.goto(running.url + "contacts")  # it grows as the import goes on

    expect(importer.locator("#summary")).to_be_visible(timeout=60_000)
    expect(importer.locator("#progress-label")).to_have_text("500 of 500 rows (100 %)")
    assert importer.evaluate(f"[{bar}.value, {bar}.max]") == [500, 500]
    expect(importer.locator("#summary-text")).to_have_text("Imported 500 contacts.")
    screenshot(importer, "datebook-import-done")
    # The other window's list followed the import, step by step, without a reload.
    expect(other.locator("#contact-list .count")).to_have_text("500 contacts")
    for page_watched in watched:
        assert page_watched.errors() == [], running.log()


def test_a_list_follows_a_change_made_in_another_window(
    serve: Serve, context: BrowserContext
) -> None:
    from playwright.sync_api import expect

    running = serve("datebook")
    watcher = context.new_page()
    editor = context.new_page()
    watched = [watch(watcher), watch(editor)]

    watcher.goto(running.url + "contacts")
    expect(watcher.locator("html")).to_have_attribute("data-live-state", "open")
    watcher.evaluate("window.sameDocument = true")  # gone if the page were reloaded

    editor.goto(running.url + "contacts/new")
    editor.fill("#contact-name", "Grace Hopper")
    editor.click("button:text('Save')")
    editor.wait_for_load_state()
    # The window that saved shows its message: the other window's refresh did not take it.
    assert flash(editor) == "Saved the contact “Grace Hopper”."
    expect(watcher.locator("#contact-list")).to_contain_text("Grace Hopper")
    assert watcher.evaluate("window.sameDocument") is True
    assert watcher.locator(".flash").count() == 0

    # The Today page follows tasks: added in one window, ticked off, gone from the other.
    watcher.goto(running.url)
    expect(watcher.locator("html")).to_have_attribute("data-live-state", "open")
    watcher.evaluate("window.sameDocument = true")
    editor.goto(running.url + "tasks/new")
    editor.fill("#task-title", "Write to Grace")
    editor.click("#task-priority-0")  # High
    editor.click("button:text('Save')")
    tasks = watcher.locator("#today-tasks")
    expect(tasks).to_contain_text("Write to Grace")
    screenshot(watcher, "datebook-today-live")
    editor.click("button[aria-label='Done: Write to Grace']")
    assert flash(editor) == "Done: “Write to Grace”."
    expect(tasks).not_to_contain_text("Write to Grace")
    assert watcher.evaluate("window.sameDocument") is True
    for page_watched in watched:
        assert page_watched.errors() == [], running.log()
