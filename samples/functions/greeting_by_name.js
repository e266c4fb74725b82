// name: Greeting by caller name
// description: Greets a caller by name when the network knows it, generically otherwise.
var name = call['Caller-ID-Name'] || '';
var unknown = ['', 'unknown', 'anonymous', 'restricted', 'private'];
var known = unknown.indexOf(name.toLowerCase()) === -1 && !/^\+?[0-9 ]+$/.test(name);
var first = known ? name.split(' ')[0] : '';
return {
  module: 'tts',
  data: { text: known ? 'Hello ' + first + ', thanks for calling.' : 'Hello, thanks for calling.' },
  children: { _: { module: 'callflow', data: { id: 'c0ffee00c0ffee00c0ffee00c0ffee00' } } }
};
