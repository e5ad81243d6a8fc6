// Bulk reports: the format an Accept header picks and the three renderings clients parse.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bulkFormat, quoteName, renderBulkReport, statusLine } from './bulk-report.ts';

describe('bulk reports', () => {
  it('picks the format from Accept, by quality, text/plain by default, none for an unacceptable header', () => {
    assert.equal(bulkFormat(undefined), 'text/plain');
    assert.equal(bulkFormat('application/json'), 'application/json');
    assert.equal(bulkFormat('text/xml'), 'text/xml');
    assert.equal(bulkFormat('*/*'), 'text/plain');
    assert.equal(bulkFormat('application/json;q=0.5, application/xml'), 'application/xml');
    assert.equal(bulkFormat('application/*'), 'application/json');
    assert.equal(bulkFormat('image/png'), undefined);
  });

  it('renders plain, JSON and XML with the errors listed', () => {
    const report = { fields: { 'Number Deleted': 2, 'Response Status': statusLine(400), 'Response Body': '' }, errors: [['/c/a&b', statusLine(409)]] as [string, string][] };
    assert.equal(renderBulkReport('text/plain', report, 'delete'), 'Number Deleted: 2\nResponse Body: \nResponse Status: 400 Bad Request\nErrors:\n/c/a&b, 409 Conflict\n');
    assert.deepEqual(JSON.parse(renderBulkReport('application/json', report, 'delete')), { ...report.fields, Errors: [['/c/a&b', '409 Conflict']] });
    assert.equal(renderBulkReport('application/xml', report, 'delete'),
      '<delete>\n<number_deleted>2</number_deleted>\n<response_body></response_body>\n<response_status>400 Bad Request</response_status>\n'
      + '<errors>\n<object><name>/c/a&amp;b</name><status>409 Conflict</status></object>\n</errors>\n</delete>\n');
    assert.equal(statusLine(413), '413 Request Entity Too Large');
    assert.equal(quoteName("/c/a b(1)'é"), '/c/a%20b%281%29%27%C3%A9');
  });
});
