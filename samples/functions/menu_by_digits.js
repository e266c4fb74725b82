// name: Menu by digits
// description: Routes on the digit the caller pressed: 1 sales, 2 support, 0 operator, anything else repeats.
var routes = {
  '1': { module: 'callflow', data: { id: '5a1e5a1e5a1e5a1e5a1e5a1e5a1e5a1e' } },
  '2': { module: 'callflow', data: { id: 'a9b8c7d6e5f40312a9b8c7d6e5f40312' } },
  '0': { module: 'user', data: { id: '3d2c1b0a9f8e7d6c5b4a39281706f5e4' } }
};
var digit = call['Digits'];
if (routes.hasOwnProperty(digit)) {
  return routes[digit];
}
return {
  module: 'tts',
  data: { text: 'Press 1 for sales, 2 for support, or 0 for the operator.' },
  children: { _: { module: 'collect_dtmf', data: { max_digits: 1, timeout: 5000 } } }
};
