// name: Blocklist hangup
// description: Hangs up on blocked and anonymous callers; everyone else goes on to the main menu.
var BLOCKED = ['+13125550199', '+19005550000'];
var number = call['Caller-ID-Number'] || '';
var name = (call['Caller-ID-Name'] || '').toLowerCase();
var anonymous = name === 'anonymous' || /^0+$/.test(number);
if (anonymous || BLOCKED.indexOf(number) !== -1) {
  console.warn('rejecting ' + (anonymous ? 'anonymous caller' : number));
  return { module: 'response', data: { code: 603, message: 'Decline' } };
}
return { module: 'callflow', data: { id: 'c0ffee00c0ffee00c0ffee00c0ffee00' } };
