(function(){
 var s=[].slice.call(document.querySelectorAll('.slides > section'));
 /* Every slide fits its box: when its content is taller or wider than the slide (measured
    here, in this browser, at this window size), its font scale steps down from 1 to at most
    MIN; the scale used is in data-fit-scale. Nothing is clipped: a slide that still overflows
    at MIN shows it (tests/test_pagefit.py measures every slide at three window sizes). */
 var MIN=0.7, STEP=0.04;
 function overflows(sec){
  if(sec.scrollHeight>sec.clientHeight+1||sec.scrollWidth>sec.clientWidth+1)return true;
  var inner=sec.querySelector('.slide-inner');
  if(!inner)return false;
  var r=inner.getBoundingClientRect(), els=inner.querySelectorAll('*');
  for(var j=0;j<els.length;j++){
   var b=els[j].getBoundingClientRect();
   if(b.width>0&&b.height>0&&(b.bottom>r.bottom+1||b.right>r.right+1))return true;
  }
  return false;
 }
 function fit(sec){
  var shown=sec.classList.contains('present');
  if(!shown)sec.classList.add('present');
  var k=1;
  sec.style.fontSize='';
  while(overflows(sec)&&k-STEP>=MIN-1e-9){k=Math.round((k-STEP)*100)/100;sec.style.fontSize=k+'em';}
  sec.dataset.fitScale=String(k);
  if(!shown)sec.classList.remove('present');
 }
 function fitAll(){s.forEach(fit);}
 window.batangFit=fit;
 window.addEventListener('load',fitAll);
 window.addEventListener('resize',fitAll);
 var i=0, count=document.getElementById('deck-count');
 function show(n){
  if(!s.length)return;
  i=Math.max(0,Math.min(s.length-1,n));
  s.forEach(function(e,k){e.classList.toggle('present',k===i);});
  fit(s[i]);
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
