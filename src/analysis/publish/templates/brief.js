/* The brief fits one A4 page by a measured scale, never by hiding: the font scale --s is the
   largest of 1, 0.98, ... 0.76 at which the page's content is at most one A4 page high (a
   296 mm probe), measured in this browser at load and before printing. When even 0.76 is
   too tall, it stays there and the page prints on two sheets (the PDF's page count says so)
   rather than losing words. The scale used is in <html data-fit-scale>. */
(function(){
 var MIN=0.76, STEP=0.02;
 function fit(){
  var page=document.querySelector('.page');
  if(!page)return;
  var root=document.documentElement, probe=document.createElement('div');
  probe.style.cssText='position:absolute;visibility:hidden;height:296mm;width:1px';
  document.body.appendChild(probe);
  var limit=probe.getBoundingClientRect().height;
  document.body.removeChild(probe);
  var old=page.style.minHeight;
  page.style.minHeight='0';
  var s=1;
  root.style.setProperty('--s',String(s));
  while(page.getBoundingClientRect().height>limit&&s-STEP>=MIN-1e-9){
   s=Math.round((s-STEP)*100)/100;
   root.style.setProperty('--s',String(s));
  }
  page.style.minHeight=old;
  root.setAttribute('data-fit-scale',String(s));
  root.setAttribute('data-fit',page.getBoundingClientRect().height<=limit?'one-page':'too-long');
 }
 fit();
 window.addEventListener('load',fit);
 window.addEventListener('beforeprint',fit);
})();
