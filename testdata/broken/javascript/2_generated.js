module.exports.generateSql = () => "SELECT 1"
