<footer><p>{{shop}} &middot; {{count}} items &middot; <a href="/about">About</a></p></footer>
