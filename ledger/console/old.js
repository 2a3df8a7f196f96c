// Loaded only by browsers without JavaScript modules (<script nomodule>): too old to sign safely.
document.getElementById("main").innerHTML = "<h1>浏览器版本过旧</h1><p>本控制台需要较新的浏览器。请更新微信或手机浏览器后再打开本页面。</p>";
