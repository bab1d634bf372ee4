<table>
% for row in table:
<tr>
% for value in row.values():
<td>{{value}}</td>
% end
</tr>
% end
</table>
