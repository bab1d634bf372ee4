% rebase('base', title=title, shop=shop, count=count)
<ul class="items">
% for item in items:
<li class="item">
<a href="/items/{{item.id}}" title="{{item.name}}">{{item.name}}</a>
<span class="price">{{"%.2f" % item.price}}</span>
% if item.stock:
<span class="stock">{{item.stock}} in stock</span>
% else:
<span class="sold-out">sold out</span>
% end
</li>
% end
</ul>
