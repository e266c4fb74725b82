// name: Business hours in New York
// description: Rings the sales group Monday to Friday 09:00-17:00 New York time (DST included), voicemail otherwise.
var OPEN_HOUR = 9, CLOSE_HOUR = 17;
var SALES_GROUP = [{ endpoint_type: 'user', id: '8a1f0c2b3d4e5f60718293a4b5c6d7e8' },
                   { endpoint_type: 'device', id: '2b3c4d5e6f708192a3b4c5d6e7f80912' }];
var AFTER_HOURS_BOX = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';

// US daylight saving time: second Sunday of March 02:00 to first Sunday of November 02:00.
function nthSunday(year, month, n) {
  var first = new Date(Date.UTC(year, month, 1)).getUTCDay();
  return 1 + ((7 - first) % 7) + 7 * (n - 1);
}
function newYorkOffsetHours(now) {
  var y = now.getUTCFullYear();
  var start = Date.UTC(y, 2, nthSunday(y, 2, 2), 7);   // 02:00 EST is 07:00 UTC
  var end = Date.UTC(y, 10, nthSunday(y, 10, 1), 6);   // 02:00 EDT is 06:00 UTC
  return now.getTime() >= start && now.getTime() < end ? -4 : -5;
}
var utc = new Date();
var local = new Date(utc.getTime() + newYorkOffsetHours(utc) * 3600 * 1000);
var day = local.getUTCDay(), hour = local.getUTCHours();
var open = day >= 1 && day <= 5 && hour >= OPEN_HOUR && hour < CLOSE_HOUR;
console.log('New York time ' + local.toISOString().slice(0, 16) + (open ? ' open' : ' closed'));
if (open) {
  return {
    module: 'ring_group',
    data: { endpoints: SALES_GROUP, strategy: 'simultaneous', timeout: 30 },
    children: { _: { module: 'voicemail', data: { id: AFTER_HOURS_BOX } } }
  };
}
return { module: 'voicemail', data: { id: AFTER_HOURS_BOX } };
