// name: Language by caller country
// description: Sets the call language from the caller's country code, then greets by name (a chain of two functions).
var COUNTRIES = [['+49', 'de-de'], ['+33', 'fr-fr'], ['+34', 'es-es'], ['+39', 'it-it'], ['+1', 'en-us']];
var number = call['Caller-ID-Number'] || '';
var language = 'en-us';
for (var i = 0; i < COUNTRIES.length; i++) {
  if (number.indexOf(COUNTRIES[i][0]) === 0) { language = COUNTRIES[i][1]; break; }
}
return {
  module: 'language',
  data: { language: language },
  children: { _: { module: 'function', data: { id: 'greeting_by_name' } } }
};
