<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{title}} - {{shop}}</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<header><h1>{{title}}</h1></header>
<main>
{{!base}}
</main>
% include('footer')
</body>
</html>
