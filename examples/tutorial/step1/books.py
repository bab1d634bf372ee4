"""Step 1 of the tutorial: one page. Run it with `python books.py`."""

import kali

app = kali.App()


@app.get("/")
def index(request: kali.Request) -> str:
    return "<h1>My reading list</h1><p>Nothing here yet.</p>"


if __name__ == "__main__":
    app.run()
