(function(){
  function key(td){
    var v = td.getAttribute('data-sort');
    if (v === null) v = td.textContent.trim();
    var n = Number(v);
    return (v !== '' && isFinite(n)) ? n : v.toLowerCase();
  }
  function cmp(x, y){
    if (typeof x === typeof y) return x < y ? -1 : (x > y ? 1 : 0);
    return typeof x === 'number' ? -1 : 1;
  }
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function(th, col){
      function sort(){
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function(h){ h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function(a, b){
          var r = cmp(key(a.cells[col]), key(b.cells[col]));
          return asc ? r : -r;
        });
        rows.forEach(function(r){ body.appendChild(r); });
      }
      th.tabIndex = 0;
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function(e){ if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  });
})();
