// Parse an .ics file with Mozilla's ical.js (the parser Thunderbird uses) and print the
// events as JSON, for tests/test_calendar.py. Usage: node ical_parse.cjs ICAL_JS_DIR FILE
const path = require("path");
const fs = require("fs");
const ICAL = require(path.join(process.argv[2], "dist", "ical.es5.cjs"));
const text = fs.readFileSync(process.argv[3], "utf8");
const root = new ICAL.Component(ICAL.parse(text));
const events = root.getAllSubcomponents("vevent").map((component) => {
  const event = new ICAL.Event(component);
  return {
    uid: event.uid,
    start: event.startDate.toString(),
    end: event.endDate.toString(),
    isDate: event.startDate.isDate,
    summary: event.summary,
    sequence: event.sequence,
  };
});
process.stdout.write(JSON.stringify({calendars: ICAL.parse(text).length ? 1 : 0, events}));
