(function(){
 var s=[].slice.call(document.querySelectorAll('.slides > section'));
 var i=0, count=document.getElementById('deck-count');
 function show(n){
  if(!s.length)return;
  i=Math.max(0,Math.min(s.length-1,n));
  s.forEach(function(e,k){e.classList.toggle('present',k===i);});
  if(count)count.textContent=(i+1)+' / '+s.length;
  if(location.hash!=='#'+(i+1)&&history.replaceState)history.replaceState(null,'','#'+(i+1));
 }
 function fromHash(){var h=parseInt(location.hash.slice(1),10);show(isNaN(h)?0:h-1);}
 document.addEventListener('keydown',function(e){
  var k=e.key;
  if(['ArrowRight','ArrowDown','PageDown',' ','Enter','n'].indexOf(k)>=0){show(i+1);e.preventDefault();}
  else if(['ArrowLeft','ArrowUp','PageUp','Backspace','p'].indexOf(k)>=0){show(i-1);e.preventDefault();}
  else if(k==='Home'){show(0);}else if(k==='End'){show(s.length-1);}
 });
 var x0=null;
 document.addEventListener('touchstart',function(e){x0=e.touches[0].clientX;});
 document.addEventListener('touchend',function(e){if(x0===null)return;var dx=e.changedTouches[0].clientX-x0;
  if(Math.abs(dx)>50)show(i+(dx<0?1:-1));x0=null;});
 document.getElementById('deck-prev').onclick=function(){show(i-1);};
 document.getElementById('deck-next').onclick=function(){show(i+1);};
 window.addEventListener('hashchange',fromHash);
 fromHash();
})();
