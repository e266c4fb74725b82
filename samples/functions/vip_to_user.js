// name: VIP caller to a user
// description: VIP callers (tagged in Custom-Application-Vars or on the list) ring the account manager directly.
var VIP_NUMBERS = ['+14155550123', '+16465550111'];
var ACCOUNT_MANAGER = '3d2c1b0a9f8e7d6c5b4a39281706f5e4';
var VOICEMAIL_BOX = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
var SUPPORT_QUEUE = 'a9b8c7d6e5f40312a9b8c7d6e5f40312';
var tagged = call['Custom-Application-Vars[vip]'] === 'true';
var listed = VIP_NUMBERS.indexOf(call['Caller-ID-Number']) !== -1;
if (tagged || listed) {
  console.info('VIP caller ' + call['Caller-ID-Number'] + (tagged ? ' (tagged)' : ' (listed)'));
  return {
    module: 'user',
    data: { id: ACCOUNT_MANAGER, timeout: 25 },
    children: { _: { module: 'voicemail', data: { id: VOICEMAIL_BOX } } }
  };
}
return { module: 'callflow', data: { id: SUPPORT_QUEUE } };
