// name: Day of week
// description: Plays a different prompt on each day of the week (UTC).
var days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
var day = days[new Date().getUTCDay()];
console.log('today is ' + day);
return { module: 'play', data: { id: 'greeting-' + day } };
