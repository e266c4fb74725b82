// name: Ring group by area code
// description: North American callers ring the office nearest their area code; others ring the main group.
var OFFICES = {
  west: { area_codes: ['415', '510', '650', '408'], group: '7e57a11e7e57a11e7e57a11e7e57a11e' },
  east: { area_codes: ['212', '646', '718', '917'], group: 'ea57ea57ea57ea57ea57ea57ea57ea57' },
  central: { area_codes: ['312', '773', '872'], group: 'ce47ce47ce47ce47ce47ce47ce47ce47' }
};
var MAIN_GROUP = '3a1b3a1b3a1b3a1b3a1b3a1b3a1b3a1b';
var match = /^\+1(\d{3})\d{7}$/.exec(call['Caller-ID-Number'] || '');
var group = MAIN_GROUP, office = 'main';
if (match) {
  for (var name in OFFICES) {
    if (OFFICES[name].area_codes.indexOf(match[1]) !== -1) { group = OFFICES[name].group; office = name; }
  }
}
console.log('area code ' + (match ? match[1] : 'none') + ' -> ' + office);
return {
  module: 'ring_group',
  data: { endpoints: [{ endpoint_type: 'group', id: group }], timeout: 25 },
  children: { _: { module: 'voicemail', data: { id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0' } } }
};
